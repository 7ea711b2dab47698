import { Command } from 'commander';
import { migrateCommand } from './commands/migrate';
import { runService, type ServiceName } from './commands/run-service';

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

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`coinstile: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
