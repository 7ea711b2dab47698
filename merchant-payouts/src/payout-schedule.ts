import { ValidationError } from '@coinstile/core';

/**
 * When a store's payouts fall due:
 * - `instant`: as soon as the payout is scheduled;
 * - `daily`: at `time` (HH:MM, 24 h) in the store's IANA `timeZone`, the next such moment after scheduling;
 * - `threshold`: once the store's waiting payouts add up to `minimumMinor` (minor units of its currency).
 */
export type PayoutSchedule =
  | { readonly kind: 'instant' }
  | { readonly kind: 'daily'; readonly time: string; readonly timeZone: string }
  | { readonly kind: 'threshold'; readonly minimumMinor: bigint };

/** A stored schedule that cannot be read. 400 `invalid_payout_schedule`. */
export class InvalidPayoutScheduleError extends ValidationError {
  constructor(reason: string) {
    super(`Invalid payout schedule: ${reason}`, { field: 'payoutSchedule' }, 'invalid_payout_schedule');
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Validates a schedule as stored in `stores.payout_schedule` (JSON; amounts as decimal strings). */
export function parsePayoutSchedule(value: unknown): PayoutSchedule {
  if (typeof value !== 'object' || value === null) throw new InvalidPayoutScheduleError('not an object');
  const v = value as Record<string, unknown>;
  switch (v['kind']) {
    case 'instant':
      return { kind: 'instant' };
    case 'daily': {
      const time = v['time'];
      const timeZone = v['timeZone'];
      if (typeof time !== 'string' || !/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(time)) throw new InvalidPayoutScheduleError('time must be HH:MM');
      if (typeof timeZone !== 'string' || !isTimeZone(timeZone)) throw new InvalidPayoutScheduleError('timeZone must be an IANA time zone');
      return { kind: 'daily', time, timeZone };
    }
    case 'threshold': {
      const minimum = v['minimumMinor'];
      if (typeof minimum !== 'string' || !/^[1-9][0-9]{0,17}$/.test(minimum)) {
        throw new InvalidPayoutScheduleError('minimumMinor must be a positive integer string');
      }
      return { kind: 'threshold', minimumMinor: BigInt(minimum) };
    }
    default:
      throw new InvalidPayoutScheduleError('kind must be instant, daily or threshold');
  }
}

/** The schedule as JSON for `stores.payout_schedule`. */
export function payoutScheduleJson(schedule: PayoutSchedule): Record<string, string> {
  switch (schedule.kind) {
    case 'instant':
      return { kind: 'instant' };
    case 'daily':
      return { kind: 'daily', time: schedule.time, timeZone: schedule.timeZone };
    case 'threshold':
      return { kind: 'threshold', minimumMinor: schedule.minimumMinor.toString() };
  }
}

/** Milliseconds `timeZone` is ahead of UTC at instant `ms`. */
function zoneOffsetMs(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The local calendar date (year, month 1-12, day) of instant `ms` in `timeZone`. */
function localDate(ms: number, timeZone: string): { y: number; m: number; d: number } {
  const shifted = new Date(ms + zoneOffsetMs(ms, timeZone));
  return { y: shifted.getUTCFullYear(), m: shifted.getUTCMonth() + 1, d: shifted.getUTCDate() };
}

/** The instant at which the wall clock in `timeZone` reads the given local date and time. */
function zonedInstant(y: number, m: number, d: number, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(y, m - 1, d, hour, minute);
  // Two passes settle the offset across a DST change; a wall time skipped by DST lands an hour later.
  let guess = wall - zoneOffsetMs(wall, timeZone);
  guess = wall - zoneOffsetMs(guess, timeZone);
  return guess;
}

/**
 * When a payout scheduled at `now` falls due under `schedule`: `now` for `instant`, the next `time` in
 * the store's zone (strictly after `now`) for `daily`, null for `threshold` (it waits for the total).
 */
export function payoutDueAt(schedule: PayoutSchedule, now: Date): Date | null {
  switch (schedule.kind) {
    case 'instant':
      return now;
    case 'threshold':
      return null;
    case 'daily': {
      const [hour, minute] = schedule.time.split(':').map(Number) as [number, number];
      const today = localDate(now.getTime(), schedule.timeZone);
      let due = zonedInstant(today.y, today.m, today.d, hour, minute, schedule.timeZone);
      if (due <= now.getTime()) {
        const tomorrow = new Date(Date.UTC(today.y, today.m - 1, today.d + 1));
        due = zonedInstant(tomorrow.getUTCFullYear(), tomorrow.getUTCMonth() + 1, tomorrow.getUTCDate(), hour, minute, schedule.timeZone);
      }
      return new Date(due);
    }
  }
}
