import { InvalidPayoutScheduleError, parsePayoutSchedule, payoutDueAt } from './payout-schedule';
import { fxSpreadMinor, mallFeeMinor } from './fees';

describe('payout schedule', () => {
  const now = new Date('2026-03-01T10:00:00Z');

  test('instant is due now; threshold waits', () => {
    expect(payoutDueAt({ kind: 'instant' }, now)).toEqual(now);
    expect(payoutDueAt({ kind: 'threshold', minimumMinor: 10_000n }, now)).toBeNull();
  });

  test('daily: the next HH:MM in the store time zone, strictly after now', () => {
    // 10:00 UTC is 19:00 in Tokyo: 18:00 today has passed, so tomorrow 18:00 JST = 09:00 UTC.
    expect(payoutDueAt({ kind: 'daily', time: '18:00', timeZone: 'Asia/Tokyo' }, now)?.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(payoutDueAt({ kind: 'daily', time: '20:30', timeZone: 'Asia/Tokyo' }, now)?.toISOString()).toBe('2026-03-01T11:30:00.000Z');
    expect(payoutDueAt({ kind: 'daily', time: '19:00', timeZone: 'Asia/Tokyo' }, now)?.toISOString()).toBe('2026-03-02T10:00:00.000Z');
  });

  test('daily across a DST change (Europe/Berlin, 29 March 2026)', () => {
    const beforeChange = new Date('2026-03-28T12:00:00Z'); // 13:00 CET
    expect(payoutDueAt({ kind: 'daily', time: '09:00', timeZone: 'Europe/Berlin' }, beforeChange)?.toISOString()).toBe('2026-03-29T07:00:00.000Z');
    const winter = new Date('2026-03-27T12:00:00Z');
    expect(payoutDueAt({ kind: 'daily', time: '09:00', timeZone: 'Europe/Berlin' }, winter)?.toISOString()).toBe('2026-03-28T08:00:00.000Z');
  });

  test('parses stored schedules and refuses bad ones with a typed error', () => {
    expect(parsePayoutSchedule({ kind: 'threshold', minimumMinor: '500000' })).toEqual({ kind: 'threshold', minimumMinor: 500_000n });
    expect(parsePayoutSchedule({ kind: 'daily', time: '07:05', timeZone: 'America/New_York' })).toEqual({ kind: 'daily', time: '07:05', timeZone: 'America/New_York' });
    for (const bad of [null, {}, { kind: 'weekly' }, { kind: 'daily', time: '24:00', timeZone: 'UTC' }, { kind: 'daily', time: '10:00', timeZone: 'Mars/Base' }, { kind: 'threshold', minimumMinor: '-1' }, { kind: 'threshold', minimumMinor: 5 }]) {
      expect(() => parsePayoutSchedule(bad)).toThrow(InvalidPayoutScheduleError);
    }
  });
});

describe('fees', () => {
  test('percent (rounded down) plus fixed, capped below the price', () => {
    expect(mallFeeMinor(4980n, 150, 10n)).toBe(74n + 10n);
    expect(mallFeeMinor(100n, 0, 0n)).toBe(0n);
    expect(mallFeeMinor(100n, 10_000, 0n)).toBe(99n);
    expect(mallFeeMinor(5n, 0, 50n)).toBe(4n);
    expect(() => mallFeeMinor(100n, -1, 0n)).toThrow(RangeError);
  });

  test('spread: price × s / (1 − s), rounded down', () => {
    expect(fxSpreadMinor(9950n, 50)).toBe(50n);
    expect(fxSpreadMinor(4980n, 0)).toBe(0n);
    expect(fxSpreadMinor(100n, 100)).toBe(1n);
  });
});
