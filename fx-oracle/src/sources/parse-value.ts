import type { z } from 'zod';
import { parsePositiveDecimal, positiveDecimalFromNumber } from '../fx-decimal';
import type { SourceId } from '../observation';
import { SourceError } from './source-error';

/** Validates a parsed document against the source's schema; a mismatch is a `malformed` SourceError. */
export function parseWith<T>(source: SourceId, schema: z.ZodType<T>, document: unknown, what: string): T {
  const result = schema.safeParse(document);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new SourceError(source, 'malformed', `unexpected ${what}${where}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/** A price field given as a decimal string: the normalized string, or an `invalid_value` SourceError. */
export function priceFromString(source: SourceId, raw: string, field: string): string {
  const value = parsePositiveDecimal(raw.trim());
  if (!value) throw new SourceError(source, 'invalid_value', `${field} is not a positive decimal: "${raw}"`);
  return value.toString();
}

/** A price field given as a JSON number (CoinGecko): the decimal string, or an `invalid_value` SourceError. */
export function priceFromNumber(source: SourceId, raw: number, field: string): string {
  const value = positiveDecimalFromNumber(raw);
  if (!value) throw new SourceError(source, 'invalid_value', `${field} is not a positive finite number: ${raw}`);
  return value.toString();
}

/** Unix seconds (number or digit string) → ms; an `invalid_value` SourceError for anything else. */
export function unixSecondsToMs(source: SourceId, raw: number | string, field: string): number {
  const seconds = typeof raw === 'number' ? raw : /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new SourceError(source, 'invalid_value', `${field} is not a unix time in seconds: ${String(raw)}`);
  }
  return seconds * 1000;
}

/** Runs one per-pair parse step, turning its SourceError into a rejection instead of failing the fetch. */
export function collectPerPair<T>(rejected: SourceError[], step: () => T): T | null {
  try {
    return step();
  } catch (err) {
    if (err instanceof SourceError) {
      rejected.push(err);
      return null;
    }
    throw err;
  }
}
