import type { ChaosOptions } from './chaos-run';
import { newSeed } from './seeded-random';

/** The short form, as `npm test` runs it: about two minutes on two cores. */
export const SHORT_FORM = { durationS: 60, checkouts: 90 } as const;

/** A variable that is not a whole number in range. */
export class ChaosOptionError extends Error {
  override readonly name = 'ChaosOptionError';
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ChaosOptionError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** `CHAOS_SEED` (default: a new one, printed), `CHAOS_DURATION_S`, `CHAOS_CHECKOUTS`, `CHAOS_QUIESCENCE_S`. */
export function chaosOptionsFromEnv(env: NodeJS.ProcessEnv, out: (line: string) => void): ChaosOptions {
  return {
    seed: wholeNumber(env, 'CHAOS_SEED', newSeed(), 0, 0xffff_ffff),
    durationS: wholeNumber(env, 'CHAOS_DURATION_S', SHORT_FORM.durationS, 10, 24 * 3600),
    checkouts: wholeNumber(env, 'CHAOS_CHECKOUTS', SHORT_FORM.checkouts, 1, 1_000_000),
    quiescenceTimeoutS: wholeNumber(env, 'CHAOS_QUIESCENCE_S', 180, 10, 24 * 3600),
    out,
  };
}
