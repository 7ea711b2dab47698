import { ValidationError } from '@coinstile/core';
import type { SourceId } from '../observation';

/** A store's FX rules. */
export interface RateRules {
  /**
   * The mall's spread in basis points, taken by quoting a rate that much below the market rate, so the
   * shopper sends more crypto and the store still receives the full fiat price.
   */
  readonly spreadBps: number;
  /** Sources to price from; empty or absent: every configured source. */
  readonly preferredSources?: readonly SourceId[];
  /** Sources added to the preferred ones when those alone give no rate. */
  readonly fallbackSources?: readonly SourceId[];
}

/** Where a store's rules come from (the gateway reads them from the store's policy). */
export interface RateRulesProvider {
  rulesFor(storeId: string): Promise<RateRules>;
}

/** Highest spread accepted: 20%. Anything above is a typo, not a policy. */
export const MAX_SPREAD_BPS = 2_000;

export const DEFAULT_RATE_RULES: RateRules = { spreadBps: 0 };

/** Rejects a spread that is not an integer in [0, MAX_SPREAD_BPS] with a 400 `invalid_spread`. */
export function checkRateRules(rules: RateRules): RateRules {
  if (!Number.isInteger(rules.spreadBps) || rules.spreadBps < 0 || rules.spreadBps > MAX_SPREAD_BPS) {
    throw new ValidationError(`spreadBps must be an integer from 0 to ${MAX_SPREAD_BPS}`, { spreadBps: rules.spreadBps }, 'invalid_spread');
  }
  return rules;
}

/** The same rules for every store. */
export function fixedRateRules(rules: RateRules = DEFAULT_RATE_RULES): RateRulesProvider {
  checkRateRules(rules);
  return { rulesFor: () => Promise.resolve(rules) };
}
