import type { Observation } from '../observation';
import type { SourceFetchResult } from './rate-source';
import { SourceError } from './source-error';

/**
 * Folds one-request-per-pair outcomes: values that arrived are kept and per-pair failures reported as
 * rejections, but when every request failed the source as a whole failed and the first error is thrown.
 */
export function settlePairFetches(settled: readonly PromiseSettledResult<Observation>[]): SourceFetchResult {
  const observations: Observation[] = [];
  const rejected: SourceError[] = [];
  for (const outcome of settled) {
    if (outcome.status === 'fulfilled') observations.push(outcome.value);
    else if (outcome.reason instanceof SourceError) rejected.push(outcome.reason);
    else throw outcome.reason;
  }
  const first = rejected[0];
  if (observations.length === 0 && first) throw first;
  return { observations, rejected };
}
