import type { Clock } from '@coinstile/core';

/**
 * The wall clock, made monotonic: a step backwards of the system time (NTP) would otherwise let a later
 * event look older than an earlier one, and ids and expiries are ordered by it.
 */
export function systemClock(): Clock {
  let lastMs = 0;
  return {
    now(): Date {
      lastMs = Math.max(lastMs, Date.now());
      return new Date(lastMs);
    },
  };
}
