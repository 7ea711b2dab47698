import { randomBytes } from 'node:crypto';
import { evaluate, nextId, parseId, type CheckoutId } from '@coinstile/core';
import { createReceiptSigner, issueReceipt } from '@coinstile/merchant-payouts';
import { CheckoutRepository, PaymentRepository, publishCheckoutUpdate } from '@coinstile/platform';
import { sql } from 'kysely';
import type { GatewayHarness } from '../../support/gateway-harness';

/** A checkout of the store behind `key` with BTC payment instructions, through the API. */
export async function openCheckout(h: GatewayHarness, key: string, orderId: string, items: readonly { name: string; quantity: number }[] = [], escrow = false): Promise<CheckoutId> {
  const res = await h.request('POST', '/v1/checkouts', { token: key, body: { orderId, amount: '4980', currency: 'JPY', asset: 'BTC', items, escrow } });
  if (res.status !== 201) throw new Error(`checkout ${res.status} ${res.text}`);
  return parseId('co', res.body.id);
}

/**
 * Pays `checkoutId` in full with one confirmed output (as the verifier records a sighting: the payment,
 * core's `evaluate`, compare-and-set with its events, and the update published), then releases it as the
 * dashboard harness seeds releases (an `order_releases` row and a payout, scheduled, or reserved under
 * escrow; the ledger is not the portal's business) and signs its receipt with merchant-payouts' receipt issuer. Nothing is published
 * for the release, as the pipeline publishes nothing for one. Returns the txid.
 */
export async function payAndRelease(h: GatewayHarness, checkoutId: CheckoutId): Promise<string> {
  const { db, clock, random, redis } = h.runtime;
  const checkouts = new CheckoutRepository(db);
  const payments = new PaymentRepository(db);
  const checkout = await checkouts.findById(checkoutId);
  if (checkout?.asset == null || checkout.amountDueBase === null) throw new Error('checkout has no payment instructions');
  const store = await h.gateway.services.stores.get(checkout.storeId);
  const now = new Date();
  const txid = randomBytes(32).toString('hex');
  await payments.record({
    id: nextId('pay', clock, random),
    checkoutId,
    asset: checkout.asset,
    txid,
    outputIndex: 0,
    amountBase: checkout.amountDueBase,
    confirmations: 3,
    rbfSignalled: false,
    firstSeenAt: now,
    state: 'confirmed',
    blockHash: randomBytes(32).toString('hex'),
    blockHeight: 101,
  });
  const transition = evaluate(checkout, await payments.listForCheckout(checkoutId), now, store.policy);
  if (transition.next.status !== 'settled') throw new Error(`checkout is ${transition.next.status}, not settled`);
  if (!(await checkouts.compareAndSet(transition.next, checkout.version, transition.events))) throw new Error('concurrent update');
  await publishCheckoutUpdate(redis, checkoutId, transition.next.version);
  const released = new Date();
  await db.transaction(async (trx) => {
    await sql`INSERT INTO order_releases (checkout_id, store_id, event_id, currency, price_minor, fee_minor, escrow, released_at)
      VALUES (${checkoutId}, ${checkout.storeId}, ${`${checkoutId}:order.released`}, ${checkout.currency}, ${checkout.priceMinor.toString()}, 100, ${checkout.escrow}, ${released})`.execute(trx);
    await sql`INSERT INTO payouts (id, store_id, checkout_id, amount_minor, fee_minor, currency, status, due_at, created_at, updated_at)
      VALUES (${nextId('po', clock, random)}, ${checkout.storeId}, ${checkoutId}, ${(checkout.priceMinor - 100n).toString()}, 100, ${checkout.currency},
        ${checkout.escrow ? 'reserved' : 'scheduled'}, ${checkout.escrow ? null : released}, ${released}, ${released})`.execute(trx);
  });
  const signer = await createReceiptSigner({ db, issuer: h.runtime.config.publicUrl, clock, random, logger: h.runtime.logger });
  await issueReceipt(db, checkoutId, signer);
  return txid;
}
