import { randomBytes } from 'node:crypto';
import { evaluate, nextId, parseId, type CheckoutId } from '@coinstile/core';
import { createReceiptSigner, SettlementProcessor } from '@coinstile/merchant-payouts';
import { CheckoutRepository, PaymentRepository, publishCheckoutUpdate } from '@coinstile/platform';
import type { GatewayHarness } from '../../support/gateway-harness';

/** A checkout of the store behind `key` with BTC payment instructions, through the API. */
export async function openCheckout(h: GatewayHarness, key: string, orderId: string, items: readonly { name: string; quantity: number }[] = [], escrow = false): Promise<CheckoutId> {
  const res = await h.request('POST', '/v1/checkouts', { token: key, body: { orderId, amount: '4980', currency: 'JPY', asset: 'BTC', items, escrow } });
  if (res.status !== 201) throw new Error(`checkout ${res.status} ${res.text}`);
  return parseId('co', res.body.id);
}

/**
 * Pays `checkoutId` in full with one confirmed output (as the verifier records a sighting: the payment,
 * core's `evaluate`, compare-and-set with its events, and the update published), then releases it with
 * merchant-payouts' `SettlementProcessor` as the pipeline's release worker does (release, ledger, signed
 * receipt, payout scheduled or reserved under escrow; no message announces the release). Returns the txid.
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
  const signer = await createReceiptSigner({ db, issuer: h.runtime.config.publicUrl, clock, random, logger: h.runtime.logger });
  await new SettlementProcessor({ db, clock, random, receipts: () => Promise.resolve(signer) }).process(checkoutId);
  return txid;
}
