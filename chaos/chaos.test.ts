import { formatReport } from './chaos-report';
import { chaosOptionsFromEnv, SHORT_FORM } from './chaos-options';
import { runChaos } from './chaos-run';
import { INVARIANTS } from './chaos-invariants';

/**
 * The short form of `npm run chaos` (about two minutes): every invariant holds after a minute of load with
 * every kind of fault. It runs Coinstile from the built CLI (`cli/dist`), which `npm test` builds first.
 * `CHAOS_SEED` replays a failing run's plan.
 */
describe('chaos run (short form)', () => {
  it('keeps every invariant through kill -9s, Redis and Postgres restarts, reorgs, a double spend and a failing webhook endpoint', async () => {
    const lines: string[] = [];
    // Only the seed comes from the environment: the suite always runs the short form.
    const options = chaosOptionsFromEnv({ CHAOS_SEED: process.env['CHAOS_SEED'] }, (line) => lines.push(line));
    const report = await runChaos(options);
    const printed = formatReport(report);
    process.stdout.write(`${printed}\n`);

    // The faults really happened, so a pass means something.
    expect({ printed, failedFaults: report.faults.failedFaults }).toEqual({ printed, failedFaults: [] });
    expect(Object.values(report.faults.kills).reduce((a, b) => a + (b ?? 0), 0)).toBeGreaterThanOrEqual(6);
    expect(report.faults.redisRestarts.hard + report.faults.redisRestarts.clean).toBeGreaterThanOrEqual(1);
    expect(report.faults.postgresRestarts.hard + report.faults.postgresRestarts.clean).toBeGreaterThanOrEqual(1);
    expect(Math.max(...report.faults.reorgDepths)).toBe(6);
    expect(report.faults.doubleSpends.length).toBeGreaterThanOrEqual(1);
    expect(report.counts.webhooks.answered500).toBeGreaterThan(0);
    // And the load was real: most checkouts were paid, and settled ones were released.
    expect(report.counts.releases).toBeGreaterThan(SHORT_FORM.checkouts / 2);

    expect(report.invariants.map((i) => i.name)).toEqual([...INVARIANTS]);
    expect({ printed, broken: report.invariants.filter((i) => !i.ok).map((i) => i.name) }).toEqual({ printed, broken: [] });
    expect(report.ok).toBe(true);
  }, 600_000);
});
