import { FxDecimal } from '../fx-decimal';

/** The median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly FxDecimal[]): FxDecimal {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a.comparedTo(b));
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as FxDecimal;
  if (sorted.length % 2 === 1) return upper;
  return upper.plus(sorted[middle - 1] as FxDecimal).div(2);
}
