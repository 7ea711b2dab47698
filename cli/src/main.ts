import { Command } from 'commander';
import { demoCommand } from './commands/demo';
import { migrateCommand } from './commands/migrate';
import { runService, type ServiceName } from './commands/run-service';
import { verifyReceiptCommand } from './commands/verify-receipt';

const program = new Command();
program
  .name('coinstile')
  .description('Coinstile: a self-hosted crypto-to-fiat checkout gateway for online malls')
  .showHelpAfterError();

const services: readonly { name: ServiceName; description: string }[] = [
  { name: 'start', description: 'run every service in one process (embedded PGlite and redis-server when no URLs are set)' },
  { name: 'gateway', description: 'run the HTTP API, hosted checkout pages and dashboard' },
  { name: 'fx', description: 'run the FX rate refresher' },
  { name: 'verifier', description: 'run the chain followers and payment matcher' },
  { name: 'payouts', description: 'run the settlement pipeline and payout workers' },
];
for (const service of services) {
  program
    .command(service.name)
    .description(service.description)
    .action(() => runService(service.name));
}
program.command('migrate').description('apply pending database migrations, then exit').action(migrateCommand);
program
  .command('demo')
  .description('pay a stream of demo checkouts on the regtest chains of a running Coinstile')
  .option('--url <url>', 'base URL of the running Coinstile (default PUBLIC_URL)')
  .option('--token <token>', 'operator token (default COINSTILE_OPERATOR_TOKEN)')
  .option('--count <n>', 'checkouts to create', '20')
  .option('--interval <seconds>', 'seconds between two checkouts', '3')
  .option('--block-interval <seconds>', 'seconds between two blocks on each chain', '5')
  .action(demoCommand);
program
  .command('verify-receipt')
  .description('verify a signed Coinstile receipt offline and print its claims')
  .argument('<file>', 'the receipt (compact JWS, or the JSON of GET /v1/checkouts/{id}/receipt); - reads stdin')
  .requiredOption('--jwks <file|url>', 'the key set: a JWKS file or the /.well-known/jwks.json URL')
  .option('--store <id>', 'reject receipts of any other store')
  .option('--at <iso-instant>', 'judge key retirement at this instant instead of now')
  .action(verifyReceiptCommand);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`coinstile: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
