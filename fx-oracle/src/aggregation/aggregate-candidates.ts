import type { FxDecimal } from '../fx-decimal';
import type { SourceId } from '../observation';
import type { RateComponent } from './aggregated-rate';
import { median } from './median';

/** One source's value for the target pair (possibly computed through a cross), with what it came from. */
export interface Candidate {
  readonly source: SourceId;
  readonly value: FxDecimal;
  readonly components: readonly RateComponent[];
}

export type CandidateAggregation =
  | { readonly kind: 'ok'; readonly value: FxDecimal; readonly kept: readonly Candidate[]; readonly outliers: readonly Candidate[] }
  | { readonly kind: 'too_few'; readonly kept: readonly Candidate[]; readonly outliers: readonly Candidate[] };

/**
 * Median of one value per source, after dropping values further than `outlierBps` from the first median;
 * fails when fewer than `minSources` sources remain. Two sources that disagree by more than twice the
 * bound both fall out: with nothing to tell which one is right, no rate is safer than a wrong one.
 */
export function aggregateCandidates(candidates: readonly Candidate[], minSources: number, outlierBps: number): CandidateAggregation {
  if (candidates.length === 0) return { kind: 'too_few', kept: [], outliers: [] };
  const center = median(candidates.map((candidate) => candidate.value));
  const bound = center.times(outlierBps).div(10_000);
  const kept: Candidate[] = [];
  const outliers: Candidate[] = [];
  for (const candidate of candidates) {
    (candidate.value.minus(center).abs().lte(bound) ? kept : outliers).push(candidate);
  }
  if (kept.length < Math.max(1, minSources)) return { kind: 'too_few', kept, outliers };
  return { kind: 'ok', value: median(kept.map((candidate) => candidate.value)), kept, outliers };
}

/** Keeps the first candidate of each source (callers list direct values before computed ones). */
export function onePerSource(candidates: readonly Candidate[]): Candidate[] {
  const seen = new Set<SourceId>();
  return candidates.filter((candidate) => {
    if (seen.has(candidate.source)) return false;
    seen.add(candidate.source);
    return true;
  });
}
