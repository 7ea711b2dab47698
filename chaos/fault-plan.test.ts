import { planFaults } from './fault-plan';
import { SeededRandom } from './seeded-random';

describe('planFaults', () => {
  it('is the same plan for the same seed, and another for another seed', () => {
    expect(planFaults(new SeededRandom(42), 60_000)).toEqual(planFaults(new SeededRandom(42), 60_000));
    expect(planFaults(new SeededRandom(43), 60_000)).not.toEqual(planFaults(new SeededRandom(42), 60_000));
  });

  it.each([10_000, 60_000, 900_000])('puts every kind of fault, a 6-deep reorg and a kill -9 restart of Redis and of Postgres into %i ms, in order', (durationMs) => {
    const plan = planFaults(new SeededRandom(7), durationMs);
    const kinds = new Set(plan.map((f) => f.kind));
    expect([...kinds].sort()).toEqual(['double-spend', 'kill', 'postgres-restart', 'redis-restart', 'reorg', 'webhook-outage']);
    expect(plan.some((f) => f.kind === 'reorg' && f.depth === 6)).toBe(true);
    expect(plan.some((f) => f.kind === 'redis-restart' && f.hard)).toBe(true);
    expect(plan.some((f) => f.kind === 'postgres-restart' && f.hard)).toBe(true);
    expect(plan.map((f) => f.atMs)).toEqual([...plan.map((f) => f.atMs)].sort((a, b) => a - b));
    expect(plan.every((f) => f.atMs >= 0.05 * durationMs && f.atMs <= 0.9 * durationMs)).toBe(true);
  });
});
