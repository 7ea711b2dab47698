import { FLEET_MEMBERS, type FleetMemberName } from './coinstile-fleet';
import { MAX_REORG_DEPTH } from './litecoin-chaos';
import type { SeededRandom } from './seeded-random';

/** One fault the run injects, at `atMs` after the load starts. */
export type Fault =
  | { readonly atMs: number; readonly kind: 'kill'; readonly member: FleetMemberName; readonly downMs: number }
  | { readonly atMs: number; readonly kind: 'redis-restart'; readonly hard: boolean }
  | { readonly atMs: number; readonly kind: 'postgres-restart'; readonly hard: boolean }
  | { readonly atMs: number; readonly kind: 'reorg'; readonly depth: number }
  | { readonly atMs: number; readonly kind: 'double-spend' }
  | { readonly atMs: number; readonly kind: 'webhook-outage'; readonly durationMs: number };

export type FaultKind = Fault['kind'];

/**
 * The faults of a run of `durationMs`, from the seed: about one kill -9 every 8 s, a Redis and a Postgres
 * restart (alternately kill -9 then start, and a clean restart; the first is a kill -9) every 150 s, a reorg every 30 s (one of them
 * the full 6 deep), a double spend every 120 s, a webhook outage every 45 s — and at least one of each,
 * however short the run. They fall between 5 % and 90 % of the load phase.
 */
export function planFaults(random: SeededRandom, durationMs: number): Fault[] {
  const seconds = durationMs / 1000;
  const count = (every: number, atLeast: number) => Math.max(atLeast, Math.round(seconds / every));
  const at = () => Math.round(random.between(0.05, 0.9) * durationMs);
  const faults: Fault[] = [];
  for (let i = 0; i < count(8, 6); i++) faults.push({ atMs: at(), kind: 'kill', member: random.pick(FLEET_MEMBERS), downMs: random.int(300, 4_000) });
  for (let i = 0; i < count(150, 1); i++) faults.push({ atMs: at(), kind: 'redis-restart', hard: i % 2 === 0 });
  for (let i = 0; i < count(150, 1); i++) faults.push({ atMs: at(), kind: 'postgres-restart', hard: i % 2 === 0 });
  for (let i = 0; i < count(30, 2); i++) faults.push({ atMs: at(), kind: 'reorg', depth: i === 0 ? MAX_REORG_DEPTH : random.int(1, MAX_REORG_DEPTH) });
  for (let i = 0; i < count(120, 1); i++) faults.push({ atMs: at(), kind: 'double-spend' });
  for (let i = 0; i < count(45, 2); i++) faults.push({ atMs: at(), kind: 'webhook-outage', durationMs: random.int(2_000, 5_000) });
  return faults.sort((a, b) => a.atMs - b.atMs);
}
