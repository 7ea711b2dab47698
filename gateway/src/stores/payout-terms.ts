import { type FiatCurrency, formatAmount, parseAmount, ValidationError } from '@coinstile/core';
import { parsePayoutSchedule, type PayoutSchedule, payoutScheduleJson } from '@coinstile/merchant-payouts';
import { jsonText } from '@coinstile/platform';
import { z } from 'zod';

const decimalString = z.string().max(80);

/**
 * What the mall charges a store and when it pays it out: the mall's fee (percent of each order plus a fixed
 * amount, deducted from the payout) and the payout schedule. Stored in `stores.fee_bps`,
 * `stores.fee_fixed_minor` and `stores.payout_schedule`, which the settlement pipeline reads.
 */
export const payoutTermsInputSchema = z.strictObject({
  feePercent: z
    .string()
    .regex(/^(100|[0-9]{1,2}(\.[0-9]{1,2})?)$/)
    .describe("The mall's fee, percent of each order's price, up to two decimals (e.g. \"2.5\")"),
  feeFixed: decimalString.describe("The mall's fixed fee per order, in the payout currency's major unit (e.g. \"30\" JPY)"),
  schedule: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('instant') }),
      z.strictObject({
        kind: z.literal('daily'),
        time: z.string().max(5).describe('HH:MM, 24 h'),
        timeZone: z.string().max(64).describe('An IANA time zone, e.g. Asia/Tokyo'),
      }),
      z.strictObject({ kind: z.literal('threshold'), minimum: decimalString.describe('Pay out once waiting payouts add up to this, major unit') }),
    ])
    .describe('When payouts fall due: at once, daily at a time in a time zone, or above a threshold'),
}).partial();

export type PayoutTermsInput = z.infer<typeof payoutTermsInputSchema>;

export interface PayoutTerms {
  readonly feeBps: number;
  readonly feeFixedMinor: bigint;
  readonly schedule: PayoutSchedule;
}

export const DEFAULT_PAYOUT_TERMS: PayoutTerms = { feeBps: 0, feeFixedMinor: 0n, schedule: { kind: 'instant' } };

/** `base` with the given fields of `input` replaced; amounts in `currency`. A 400 for anything invalid. */
export function mergePayoutTerms(base: PayoutTerms, input: PayoutTermsInput, currency: FiatCurrency): PayoutTerms {
  return {
    feeBps: input.feePercent === undefined ? base.feeBps : percentToBps(input.feePercent),
    feeFixedMinor: input.feeFixed === undefined ? base.feeFixedMinor : parseAmount(input.feeFixed, currency),
    schedule: input.schedule === undefined ? base.schedule : scheduleOf(input.schedule, currency),
  };
}

function percentToBps(percent: string): number {
  const [whole, fraction = ''] = percent.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
}

function scheduleOf(input: NonNullable<PayoutTermsInput['schedule']>, currency: FiatCurrency): PayoutSchedule {
  switch (input.kind) {
    case 'instant':
    case 'daily':
      return parsePayoutSchedule(input);
    case 'threshold': {
      const minimumMinor = parseAmount(input.minimum, currency);
      if (minimumMinor <= 0n) throw new ValidationError('payoutTerms.schedule.minimum must be more than zero', { field: 'payoutTerms.schedule.minimum' });
      return { kind: 'threshold', minimumMinor };
    }
  }
}

/** The terms as stored (columns of `stores`). */
export function payoutTermsColumns(terms: PayoutTerms) {
  return { fee_bps: terms.feeBps, fee_fixed_minor: terms.feeFixedMinor.toString(), payout_schedule: jsonText(payoutScheduleJson(terms.schedule)) };
}

/** The terms from a `stores` row. */
export function payoutTermsOf(row: { fee_bps: number; fee_fixed_minor: string | bigint; payout_schedule?: unknown }): PayoutTerms {
  return {
    feeBps: row.fee_bps,
    feeFixedMinor: BigInt(row.fee_fixed_minor),
    schedule: row.payout_schedule === undefined || row.payout_schedule === null ? DEFAULT_PAYOUT_TERMS.schedule : parsePayoutSchedule(row.payout_schedule),
  };
}

/** The terms as the API shows them, amounts in the payout currency's major unit. */
export function payoutTermsView(terms: PayoutTerms, currency: FiatCurrency): Record<string, unknown> {
  const percent = `${Math.floor(terms.feeBps / 100)}${terms.feeBps % 100 === 0 ? '' : `.${String(terms.feeBps % 100).padStart(2, '0').replace(/0$/, '')}`}`;
  const schedule = (() => {
    switch (terms.schedule.kind) {
      case 'instant':
        return { kind: 'instant' };
      case 'daily':
        return { kind: 'daily', time: terms.schedule.time, timeZone: terms.schedule.timeZone };
      case 'threshold':
        return { kind: 'threshold', minimum: formatAmount(terms.schedule.minimumMinor, currency) };
    }
  })();
  return { feePercent: percent, feeFixed: formatAmount(terms.feeFixedMinor, currency), schedule };
}
