import type { Checkout } from '../checkout/checkout';
import { stampEvents, type Transition } from '../checkout/evaluate';
import { cryptoDueForRemainder, fiatStillDueMinor } from './tender-arithmetic';
import type { Tender } from './tender';

/**
 * The checkout once `tenders` (all of its tenders, the new one included) pay part of its price, at `now`:
 * - still something due: with an asset chosen, `amountDueBase` is re-quoted for the remainder at the
 *   locked rate (rounded up); no event (the checkout stays `new`);
 * - nothing left due: it settles without crypto, `new` → `processing` → `settled` at once
 *   (`checkout.processing`, `checkout.settled`), `amountDueBase` 0 when an asset was chosen.
 * `next.version` is one higher. Call it only after `assertTenderApplicable` accepted the new tender.
 */
export function applyTenders(checkout: Checkout, tenders: readonly Pick<Tender, 'status' | 'amountMinor'>[], now: Date): Transition {
  const remainingMinor = fiatStillDueMinor(checkout.priceMinor, tenders);
  const amountDueBase =
    checkout.asset === null || checkout.rate === null ? checkout.amountDueBase : cryptoDueForRemainder(remainingMinor, checkout.currency, checkout.asset, checkout.rate);
  const version = checkout.version + 1;
  if (remainingMinor > 0n) return { next: { ...checkout, amountDueBase, version }, events: [] };
  const processing: Checkout = { ...checkout, amountDueBase, status: 'processing', exception: 'none' };
  const settled: Checkout = { ...processing, status: 'settled', settledAt: new Date(now.getTime()), version };
  const events = stampEvents(
    [
      { body: { type: 'checkout.processing' }, snapshot: processing },
      { body: { type: 'checkout.settled' }, snapshot: settled },
    ],
    version,
    new Map(),
    new Date(now.getTime()),
  );
  return { next: settled, events };
}
