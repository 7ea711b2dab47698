import type { FleetMemberName, UnexpectedExit } from './coinstile-fleet';
import type { InvariantResult } from './chaos-invariants';

export interface ChaosReport {
  readonly seed: number;
  readonly durationS: number;
  readonly checkoutsPlanned: number;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memoryGiB: number; readonly node: string };
  readonly timingsMs: { readonly setup: number; readonly load: number; readonly quiescence: number; readonly checks: number; readonly total: number };
  readonly counts: {
    readonly stores: number;
    readonly checkoutsCreated: number;
    readonly checkoutsNotCreated: number;
    readonly paid: Readonly<Record<'LTC' | 'ETH' | 'USDC', number>>;
    readonly paymentFailures: number;
    readonly statuses: Readonly<Record<string, number>>;
    readonly releases: number;
    /** By status. */
    readonly payouts: Readonly<Record<string, number>>;
    readonly outboxEvents: number;
    readonly litecoinBlocks: number;
    readonly evmBlocks: number;
    readonly litecoinTransactions: { readonly sendtoaddress: number; readonly sendmany: number; readonly rebroadcast: number };
    readonly webhooks: { readonly received: number; readonly answered500: number; readonly hung: number; readonly invalidSignatures: number };
  };
  readonly faults: {
    readonly kills: Readonly<Partial<Record<FleetMemberName, number>>>;
    readonly redisRestarts: { readonly hard: number; readonly clean: number };
    readonly postgresRestarts: { readonly hard: number; readonly clean: number };
    /** Depth of every branch cut, the double spends' included. */
    readonly reorgDepths: readonly number[];
    readonly doubleSpends: readonly { readonly checkoutId: string; readonly depth: number; readonly confirmationsBefore: number; readonly finalStatus: string }[];
    readonly webhookOutages: number;
    readonly failedFaults: readonly string[];
  };
  readonly unexpectedExits: readonly (Pick<UnexpectedExit, 'member' | 'code' | 'signal'> & { readonly lastError: string })[];
  readonly apiErrors: Readonly<Record<string, number>>;
  readonly invariants: readonly InvariantResult[];
  readonly ok: boolean;
  /** Kept (logs of every process) when the run failed. */
  readonly runDir: string | undefined;
}

/** The report as the terminal shows it. */
export function formatReport(r: ChaosReport): string {
  const entries = (record: Readonly<Record<string, number | undefined>>) =>
    Object.entries(record)
      .map(([k, v]) => `${k} ${v ?? 0}`)
      .join(', ') || 'none';
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    '',
    `Coinstile chaos run — seed ${r.seed} (CHAOS_SEED=${r.seed} CHAOS_DURATION_S=${r.durationS} CHAOS_CHECKOUTS=${r.checkoutsPlanned} reproduces the plan)`,
    `machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}`,
    `durations: setup ${s(r.timingsMs.setup)}, load ${s(r.timingsMs.load)}, quiescence ${s(r.timingsMs.quiescence)}, checks ${s(r.timingsMs.checks)}, total ${s(r.timingsMs.total)}`,
    '',
    'load',
    `  stores ${r.counts.stores}; checkouts created ${r.counts.checkoutsCreated} (not created ${r.counts.checkoutsNotCreated}); paid ${entries(r.counts.paid)}; payment failures ${r.counts.paymentFailures}`,
    `  final statuses: ${entries(r.counts.statuses)}; releases ${r.counts.releases}; payouts ${entries(r.counts.payouts)}; outbox events ${r.counts.outboxEvents}`,
    `  blocks mined: LTC ${r.counts.litecoinBlocks}, EVM ${r.counts.evmBlocks}; LTC transactions: ${entries(r.counts.litecoinTransactions)}`,
    `  webhooks received ${r.counts.webhooks.received} (answered 500: ${r.counts.webhooks.answered500}, left hanging: ${r.counts.webhooks.hung}, bad signatures: ${r.counts.webhooks.invalidSignatures})`,
    `  API errors met (retried on the other gateway when 5xx/409/429/unreachable): ${entries(r.apiErrors)}`,
    '',
    'faults injected',
    `  kill -9: ${entries(r.faults.kills)}`,
    `  Redis restarts: ${r.faults.redisRestarts.hard} kill -9, ${r.faults.redisRestarts.clean} clean; Postgres restarts: ${r.faults.postgresRestarts.hard} kill -9, ${r.faults.postgresRestarts.clean} clean`,
    `  reorgs (depths): ${r.faults.reorgDepths.join(', ') || 'none'}`,
    `  double spends: ${r.faults.doubleSpends.map((d) => `${d.checkoutId} (${d.confirmationsBefore} conf, cut ${d.depth} deep → ${d.finalStatus})`).join('; ') || 'none'}`,
    `  webhook outages: ${r.faults.webhookOutages}`,
    ...(r.faults.failedFaults.length > 0 ? [`  faults that could not be injected: ${r.faults.failedFaults.join('; ')}`] : []),
    `  processes that exited on their own (started again by the supervisor): ${r.unexpectedExits.length === 0 ? 'none' : ''}`,
    ...r.unexpectedExits.map((e) => `    ${e.member} (${e.signal ?? `exit ${String(e.code)}`}): ${e.lastError}`),
    '',
    'invariants',
    ...r.invariants.flatMap((i) => [
      `  ${i.ok ? 'PASS' : 'FAIL'} ${i.name} (${i.checked} checked${i.ok ? '' : `, ${i.violationCount} violations`})`,
      ...i.violations.map((v) => `       ${v}`),
    ]),
    '',
    r.ok ? 'chaos run: all invariants hold' : `chaos run: INVARIANTS BROKEN${r.runDir ? ` (process logs kept in ${r.runDir})` : ''}`,
  ];
  return lines.join('\n');
}
