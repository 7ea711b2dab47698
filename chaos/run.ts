/**
 * `npm run chaos`: one chaos run (see chaos/README.md). Prints the report; exits 1 when an invariant
 * breaks, 2 when the options are bad or the run could not be carried out.
 */
import { chaosOptionsFromEnv, ChaosOptionError } from './chaos-options';
import { formatReport } from './chaos-report';
import { runChaos } from './chaos-run';

async function main(): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  let options;
  try {
    options = chaosOptionsFromEnv(process.env, out);
  } catch (err) {
    if (err instanceof ChaosOptionError) {
      process.stderr.write(`chaos: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const report = await runChaos(options);
  out(formatReport(report));
  return report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos: the run could not be carried out: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
