import { randomBytes } from 'node:crypto';
import {
  CRYPTO_ASSETS,
  DAY_MS,
  fxConversion,
  mallCryptoHoldings,
  mallFeeRevenue,
  nextId,
  parseFiatCurrency,
  type ShopperAccountId,
  shopperRefundsPayable,
  storeEscrow,
  storePayable,
  type Clock,
  type CheckoutId,
  type StoreId,
} from '@coinstile/core';
import {
  creditRefundToShopperBalance,
  cryptoRandomSource,
  LedgerRepository,
  migrateToLatest,
  openDatabase,
  shopperBalanceMinor,
  type Database,
} from '@coinstile/platform';
import { startPostgres, type PostgresServer } from '@coinstile/testkit';
import { parseAddress } from '../../wallet-verifier/src/addresses/address-validation';
import {
  EscrowLinkSigner,
  EscrowService,
  EscrowTransitionRefusedError,
  InvalidEscrowLinkError,
  NotUnderEscrowError,
  OrderNotReleasedError,
  pipelineKysely,
  reconcilePayouts,
  RefundStatusError,
  SettlementProcessor,
  ShipmentExistsError,
  type RefundAddressChecks,
} from '../src';
import { insertStore, settleCheckout } from './support/pipeline-fixtures';

/** A clock the test moves by hand (auto-acceptance deadlines). */
class ManualClock implements Clock {
  constructor(private ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

const REGTEST_BTC_ADDRESS = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

let postgres: PostgresServer | undefined;
let db: Database;
let clock: ManualClock;
let escrow: EscrowService;
let processor: SettlementProcessor;
let links: EscrowLinkSigner;
let carrierId: string;
let otherCarrierId: string;

const checks: RefundAddressChecks = {
  validateAddress: (asset, address) => void parseAddress(CRYPTO_ASSETS[asset].chain, 'regtest', address),
  currentRate: async () => '10000000',
};

describe.each(['postgres', 'pglite'] as const)('escrow service [%s]', (engine) => {
  beforeAll(async () => {
    postgres = engine === 'postgres' ? await startPostgres() : undefined;
    // Without a URL: embedded PGlite in memory, the engine `npm start` uses.
    db = await openDatabase(postgres ? { url: await postgres.createDatabase(), poolSize: 6 } : {});
    await migrateToLatest(db);
    clock = new ManualClock(Date.now());
    links = new EscrowLinkSigner(randomBytes(32), 'https://pay.example.test', clock);
    escrow = new EscrowService({ db, clock, random: cryptoRandomSource, links });
    processor = new SettlementProcessor({ db, clock, random: cryptoRandomSource });
    carrierId = (await escrow.createCarrier({ code: 'yamato', name: 'Yamato Transport' })).id;
    otherCarrierId = (await escrow.createCarrier({ code: 'sagawa', name: 'Sagawa Express' })).id;
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await postgres?.stop();
  });

  /**
   * A store with `escrow` policy, and a settled, released escrow checkout of 10,000 JPY (fee 160), linked
   * to `shopperAccountId` when given (as `POST /v1/checkouts` with `shopperAccountId` links it).
   */
  async function escrowOrder(policy: Record<string, unknown> = {}, shopperAccountId?: ShopperAccountId): Promise<{ storeId: StoreId; checkoutId: CheckoutId }> {
    const storeId = await insertStore(db, { feeBps: 150, feeFixedMinor: 10n });
    await db.kysely.updateTable('stores').set({ policy: JSON.stringify({ escrow: { autoAcceptDays: 7, ...policy } }) }).where('id', '=', storeId).execute();
    const checkoutId = await settleCheckout(db, storeId, { priceMinor: 10_000n, spreadBps: 0, escrow: true });
    if (shopperAccountId !== undefined) await db.kysely.updateTable('checkouts').set({ shopper_account_id: shopperAccountId }).where('id', '=', checkoutId).execute();
    await processor.process(checkoutId);
    return { storeId, checkoutId };
  }

  async function payoutOf(checkoutId: CheckoutId) {
    return pipelineKysely(db).selectFrom('payouts').select(['status', 'amount_minor', 'due_at']).where('checkout_id', '=', checkoutId).executeTakeFirstOrThrow();
  }

  async function eventTypes(checkoutId: CheckoutId): Promise<string[]> {
    const rows = await db.kysely.selectFrom('outbox').select(['event_type', 'aggregate_id', 'payload']).orderBy('id').execute();
    return rows.filter((r) => (r.payload as { checkoutId?: string }).checkoutId === checkoutId).map((r) => r.event_type);
  }

  async function balanceOf(account: string, currency: string): Promise<bigint> {
    return (await new LedgerRepository(db).balances()).get(account)?.get(currency as never) ?? 0n;
  }

  /** A shopper account in JPY (as the operator creates it), in `status`. */
  async function shopperAccount(status: 'active' | 'frozen' | 'closed' = 'active', currency = 'JPY'): Promise<ShopperAccountId> {
    const id = nextId('acct', clock, cryptoRandomSource);
    await db.kysely
      .insertInto('shopper_accounts')
      .values({ id, currency, status, access_code_hash: randomBytes(32).toString('hex'), top_up_store_id: null, created_at: clock.now(), updated_at: clock.now() })
      .execute();
    return id;
  }

  async function outboxOf(checkoutId: CheckoutId, type: string) {
    const rows = await db.kysely.selectFrom('outbox').select(['event_id', 'payload']).where('event_type', '=', type).execute();
    return rows.filter((r) => (r.payload as { checkoutId?: string }).checkoutId === checkoutId);
  }

  async function expectBalancedAndReconciled(): Promise<void> {
    for (const [currency, total] of await new LedgerRepository(db).trialBalance()) expect([currency, total]).toEqual([currency, 0n]);
    const report = await reconcilePayouts(db);
    expect(report.discrepancies).toEqual([]);
  }

  test('shopper inspection: reserved → shipped → delivered → confirmed through the signed link → payout scheduled, escrow emptied', async () => {
    const { storeId, checkoutId } = await escrowOrder();
    expect(await payoutOf(checkoutId)).toMatchObject({ status: 'reserved', amount_minor: '9840' });
    expect(await escrow.openPendingHolds()).toBeGreaterThanOrEqual(1);
    const held = await escrow.holdOfCheckout(checkoutId, storeId);
    expect(held).toMatchObject({ status: 'reserved', inspection: 'shopper', autoAcceptDays: 7, heldMinor: 9840n, priceMinor: 10_000n, feeMinor: 160n });
    const heldEvent = await db.kysely.selectFrom('outbox').select('payload').where('event_id', '=', `${held.id}:escrow.held`).executeTakeFirstOrThrow();
    const acceptUrl = (heldEvent.payload as { acceptUrl: string }).acceptUrl;
    expect(acceptUrl).toMatch(/^https:\/\/pay\.example\.test\/accept\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);

    const shipment = await escrow.registerShipment({ storeId, checkoutId, carrierId, trackingNumber: `TRK-${randomBytes(4).toString('hex')}` });
    expect(shipment).toMatchObject({ status: 'registered', carrierCode: 'yamato', escrowHoldId: held.id });
    await expect(escrow.registerShipment({ storeId, checkoutId, carrierId, trackingNumber: 'OTHER-1' })).rejects.toBeInstanceOf(ShipmentExistsError);
    // Another carrier's shipment does not exist for it.
    await expect(escrow.recordCarrierEvent({ carrierId: otherCarrierId as never, shipmentId: shipment.id, status: 'delivered' })).rejects.toMatchObject({ httpStatus: 404 });
    await escrow.recordCarrierEvent({ carrierId: carrierId as never, shipmentId: shipment.id, status: 'in_transit' });
    const delivered = await escrow.recordCarrierEvent({ carrierId: carrierId as never, shipmentId: shipment.id, status: 'delivered' });
    expect(delivered.status).toBe('delivered');
    expect((await escrow.getHold(held.id)).status).toBe('delivered');
    expect(await payoutOf(checkoutId)).toMatchObject({ status: 'reserved' });

    const { holdId } = links.verify(acceptUrl.slice(acceptUrl.lastIndexOf('/') + 1), 'accept');
    const accepted = await escrow.confirmReceipt(holdId);
    expect(accepted).toMatchObject({ status: 'accepted', acceptedBy: 'shopper', releasedMinor: 9840n });
    const payout = await payoutOf(checkoutId);
    expect(payout).toMatchObject({ status: 'scheduled', amount_minor: '9840' });
    expect(payout.due_at).not.toBeNull();
    expect(await balanceOf(storeEscrow(storeId), 'JPY')).toBe(0n);
    expect(await balanceOf(storePayable(storeId), 'JPY')).toBe(-9840n);
    expect(await eventTypes(checkoutId)).toEqual([
      'checkout.processing',
      'checkout.settled',
      'order.released',
      'payout.reserved',
      'escrow.held',
      'shipment.registered',
      'escrow.shipped',
      'shipment.in_transit',
      'shipment.delivered',
      'escrow.delivered',
      'payout.scheduled',
      'escrow.accepted',
    ]);
    // Accepted is final: the store can no longer cancel, the shopper no longer dispute.
    await expect(escrow.cancelBeforeAcceptance({ storeId, checkoutId, reason: 'too late' })).rejects.toBeInstanceOf(EscrowTransitionRefusedError);
    await expect(escrow.openDispute(holdId, 'broken')).rejects.toMatchObject({ code: 'escrow_not_allowed_in_status', httpStatus: 422 });
    await expectBalancedAndReconciled();
  }, 30_000);

  test('carrier inspection: the delivery report accepts; the shopper link cannot', async () => {
    const { storeId, checkoutId } = await escrowOrder({ inspection: 'carrier' });
    const shipment = await escrow.registerShipment({ storeId, checkoutId, carrierId, trackingNumber: `TRK-${randomBytes(4).toString('hex')}` });
    const hold = await escrow.holdOfCheckout(checkoutId);
    await expect(escrow.confirmReceipt(hold.id)).rejects.toMatchObject({ code: 'escrow_carrier_inspects' });
    await escrow.recordCarrierEvent({ carrierId: carrierId as never, shipmentId: shipment.id, status: 'delivered' });
    expect(await escrow.getHold(hold.id)).toMatchObject({ status: 'accepted', acceptedBy: 'carrier' });
    expect(await payoutOf(checkoutId)).toMatchObject({ status: 'scheduled', amount_minor: '9840' });
    await expectBalancedAndReconciled();
  });

  test('a gift order (inspection set at shipment) is auto-accepted once the deadline passes, not before', async () => {
    const { storeId, checkoutId } = await escrowOrder();
    const shipment = await escrow.registerShipment({ storeId, checkoutId, carrierId, trackingNumber: `TRK-${randomBytes(4).toString('hex')}`, inspection: 'gift_recipient' });
    await escrow.recordCarrierEvent({ carrierId: carrierId as never, shipmentId: shipment.id, status: 'delivered' });
    const hold = await escrow.holdOfCheckout(checkoutId);
    expect(hold).toMatchObject({ status: 'delivered', inspection: 'gift_recipient' });
    clock.advance(7 * DAY_MS - 60_000);
    await escrow.acceptOverdue();
    expect((await escrow.getHold(hold.id)).status).toBe('delivered');
    clock.advance(60_000);
    expect(await escrow.acceptOverdue()).toBeGreaterThanOrEqual(1);
    expect(await escrow.getHold(hold.id)).toMatchObject({ status: 'accepted', acceptedBy: 'deadline' });
    expect(await payoutOf(checkoutId)).toMatchObject({ status: 'scheduled' });
    // After the deadline, disputes are closed.
    await expect(escrow.openDispute(hold.id, 'late complaint')).rejects.toBeInstanceOf(EscrowTransitionRefusedError);
    await expectBalancedAndReconciled();
  });

  test('dispute → partial refund: the store is paid the rest; the shopper gives an address, the operator sends, the ledger closes', async () => {
    const { storeId, checkoutId } = await escrowOrder();
    const hold = await escrow.holdOfCheckout(checkoutId);
    const dispute = await escrow.openDispute(hold.id, 'One of two tins arrived dented');
    expect(dispute).toMatchObject({ status: 'open', reason: 'One of two tins arrived dented', heldMinor: 9840n });
    expect((await escrow.listDisputes({ status: 'open' })).map((d) => d.id)).toContain(dispute.id);
    await expect(escrow.confirmReceipt(hold.id)).rejects.toBeInstanceOf(EscrowTransitionRefusedError);
    await expect(escrow.resolveDispute({ disputeId: dispute.id, resolution: 'refund_partial', refundMinor: 9840n })).rejects.toMatchObject({ code: 'escrow_refund_out_of_range' });

    const resolved = await escrow.resolveDispute({ disputeId: dispute.id, resolution: 'refund_partial', refundMinor: 3000n, note: 'half of one tin' });
    expect(resolved).toMatchObject({ status: 'resolved', resolution: 'refund_partial', refundMinor: 3000n, operatorNote: 'half of one tin' });
    expect(await payoutOf(checkoutId)).toMatchObject({ status: 'scheduled', amount_minor: '6840' });
    const [refund] = await escrow.listRefunds({ storeId });
    expect(refund).toMatchObject({ status: 'awaiting_address', refundMinor: 3000n, reason: 'dispute_refund_partial', asset: 'BTC', ratePolicy: 'sale' });
    expect(await balanceOf(shopperRefundsPayable(), 'JPY')).toBeLessThanOrEqual(-3000n);

    await expect(escrow.submitRefundAddress(refund!.id, 'not-an-address', checks)).rejects.toMatchObject({ httpStatus: 400 });
    await expect(escrow.markRefundSent({ refundId: refund!.id, txid: 'ab'.repeat(32) })).rejects.toBeInstanceOf(RefundStatusError);
    const ready = await escrow.submitRefundAddress(refund!.id, REGTEST_BTC_ADDRESS, checks);
    // 3,000 JPY at the sale's 9,003,412 JPY/BTC, rounded up: 33,321 sats.
    expect(ready).toMatchObject({ status: 'ready', address: REGTEST_BTC_ADDRESS, rate: '9003412', amountBase: 33_321n });
    await expect(escrow.submitRefundAddress(refund!.id, REGTEST_BTC_ADDRESS, checks)).rejects.toBeInstanceOf(RefundStatusError);
    await expect(escrow.markRefundSent({ refundId: refund!.id, txid: 'nope' })).rejects.toMatchObject({ httpStatus: 400 });
    const holdingsBefore = await balanceOf(mallCryptoHoldings('BTC'), 'BTC');
    const sent = await escrow.markRefundSent({ refundId: refund!.id, txid: 'ab'.repeat(32) });
    expect(sent).toMatchObject({ status: 'sent', txid: 'ab'.repeat(32) });
    expect(await balanceOf(mallCryptoHoldings('BTC'), 'BTC')).toBe(holdingsBefore - 33_321n);
    expect(await balanceOf(storeEscrow(storeId), 'JPY')).toBe(0n);
    expect(await balanceOf(storePayable(storeId), 'JPY')).toBe(-6840n);
    expect(await eventTypes(checkoutId)).toEqual(expect.arrayContaining(['dispute.opened', 'payout.scheduled', 'refund.requested', 'dispute.resolved', 'refund.address_submitted', 'refund.sent']));
    await expectBalancedAndReconciled();
  });

  test('dispute → full refund at the current rate: the payout is refunded, never scheduled; the fee is given back', async () => {
    const { storeId, checkoutId } = await escrowOrder({ refundRate: 'current' });
    const hold = await escrow.holdOfCheckout(checkoutId);
    const dispute = await escrow.openDispute(hold.id, 'never arrived');
    const feeBefore = await balanceOf(mallFeeRevenue(), 'JPY');
    await escrow.resolveDispute({ disputeId: dispute.id, resolution: 'refund_full' });
    expect(await payoutOf(checkoutId)).toMatchObject({ status: 'refunded' });
    expect(await balanceOf(mallFeeRevenue(), 'JPY')).toBe(feeBefore + 160n);
    const [refund] = await escrow.listRefunds({ storeId });
    expect(refund).toMatchObject({ refundMinor: 10_000n, reason: 'dispute_refund_full', ratePolicy: 'current' });
    // 10,000 JPY at the current 10,000,000 JPY/BTC: 100,000 sats.
    expect((await escrow.submitRefundAddress(refund!.id, REGTEST_BTC_ADDRESS, checks)).amountBase).toBe(100_000n);
    expect(await eventTypes(checkoutId)).toContain('payout.refunded');
    expect(await eventTypes(checkoutId)).not.toContain('payout.scheduled');
    await expectBalancedAndReconciled();
  });

  test('the store cancels before acceptance: full refund; a non-escrow or unreleased order cannot be', async () => {
    const { storeId, checkoutId } = await escrowOrder();
    await expect(escrow.cancelBeforeAcceptance({ storeId: (await insertStore(db)) as StoreId, checkoutId, reason: 'x' })).rejects.toMatchObject({ httpStatus: 404 });
    const cancelled = await escrow.cancelBeforeAcceptance({ storeId, checkoutId, reason: 'out of stock' });
    expect(cancelled).toMatchObject({ status: 'cancelled', refundFromEscrowMinor: 9840n, refundFeeMinor: 160n, releasedMinor: 0n });
    expect(await payoutOf(checkoutId)).toMatchObject({ status: 'refunded' });
    const note = await db.kysely.selectFrom('outbox').select('payload').where('event_type', '=', 'order.cancelled_by_store').where('aggregate_id', '=', checkoutId).executeTakeFirstOrThrow();
    expect(note.payload).toMatchObject({ note: 'out of stock', refundMinor: '10000' });
    await expect(escrow.cancelBeforeAcceptance({ storeId, checkoutId, reason: 'again' })).rejects.toBeInstanceOf(EscrowTransitionRefusedError);

    const plainStore = await insertStore(db);
    const plain = await settleCheckout(db, plainStore, { priceMinor: 5000n });
    await expect(escrow.cancelBeforeAcceptance({ storeId: plainStore, checkoutId: plain, reason: 'x' })).rejects.toBeInstanceOf(OrderNotReleasedError);
    await expect(escrow.registerShipment({ storeId: plainStore, checkoutId: plain, carrierId, trackingNumber: 'TRK-UNRELEASED' })).rejects.toBeInstanceOf(OrderNotReleasedError);
    await processor.process(plain);
    await expect(escrow.cancelBeforeAcceptance({ storeId: plainStore, checkoutId: plain, reason: 'x' })).rejects.toBeInstanceOf(NotUnderEscrowError);
    // A released order without escrow can still be shipped and tracked.
    const tracked = await escrow.registerShipment({ storeId: plainStore, checkoutId: plain, carrierId, trackingNumber: `TRK-${randomBytes(4).toString('hex')}` });
    expect(tracked.escrowHoldId).toBeNull();
    expect((await escrow.recordCarrierEvent({ carrierId: carrierId as never, shipmentId: tracked.id, status: 'delivered' })).status).toBe('delivered');
    await expectBalancedAndReconciled();
  });

  test('racing acceptance and cancellation: exactly one wins, one payout outcome, never both paid and refunded', async () => {
    for (let i = 0; i < 5; i++) {
      const { storeId, checkoutId } = await escrowOrder();
      const hold = await escrow.holdOfCheckout(checkoutId);
      const results = await Promise.allSettled([escrow.confirmReceipt(hold.id), escrow.cancelBeforeAcceptance({ storeId, checkoutId, reason: 'race' })]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const payout = await payoutOf(checkoutId);
      const refunds = await escrow.listRefunds({ storeId });
      expect(payout.status === 'scheduled' ? refunds.length === 0 : payout.status === 'refunded' && refunds.length === 1).toBe(true);
    }
    await expectBalancedAndReconciled();
  }, 30_000);

  test('signed links: forged, tampered, expired or for another purpose are refused', () => {
    const token = links.token({ purpose: 'accept', holdId: 'esc_01J00000000000000000000000' as never });
    expect(links.verify(token, 'accept').holdId).toBe('esc_01J00000000000000000000000');
    expect(() => links.verify(token, 'refund')).toThrow(InvalidEscrowLinkError);
    const [body, mac] = token.split('.') as [string, string];
    expect(() => links.verify(`${body}x.${mac}`, 'accept')).toThrow(InvalidEscrowLinkError);
    expect(() => new EscrowLinkSigner(randomBytes(32), 'https://x', clock).verify(token, 'accept')).toThrow(InvalidEscrowLinkError);
    expect(() => links.verify('garbage', 'accept')).toThrow(InvalidEscrowLinkError);
    const shortLived = new EscrowLinkSigner(Buffer.alloc(32, 7), 'https://x', clock, 1000);
    const expiring = shortLived.token({ purpose: 'refund', refundId: 'rf_01J00000000000000000000000' as never });
    clock.advance(1000);
    expect(() => shortLived.verify(expiring, 'refund')).toThrow(/expired/);
  });

  test('fx conversion closes per currency after a full refund is sent', async () => {
    const before = await balanceOf(fxConversion(), 'JPY');
    const { storeId, checkoutId } = await escrowOrder();
    await escrow.cancelBeforeAcceptance({ storeId, checkoutId, reason: 'cancelled' });
    const [refund] = await escrow.listRefunds({ storeId });
    await escrow.submitRefundAddress(refund!.id, REGTEST_BTC_ADDRESS, checks);
    await escrow.markRefundSent({ refundId: refund!.id, txid: 'cd'.repeat(32) });
    // The sale put price + spread (0 here) into the FX position; the refund took the price back out.
    expect(await balanceOf(fxConversion(), 'JPY')).toBe(before);
    await expectBalancedAndReconciled();
  });

  test('sweepers racing to open holds open exactly one per reserved payout, announced once', async () => {
    const orders = await Promise.all(Array.from({ length: 6 }, () => escrowOrder()));
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => escrow.openPendingHolds()));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    for (const { checkoutId } of orders) {
      const holds = await db.kysely.selectFrom('escrow_holds').select('id').where('checkout_id', '=', checkoutId).execute();
      expect(holds).toHaveLength(1);
      const held = await db.kysely.selectFrom('outbox').select('event_id').where('event_type', '=', 'escrow.held').where('aggregate_id', '=', checkoutId).execute();
      expect(held).toHaveLength(1);
    }
  }, 30_000);

  test("another store's read of an order is not found and opens nothing", async () => {
    const storeId = await insertStore(db, { feeBps: 150, feeFixedMinor: 10n });
    const checkoutId = await settleCheckout(db, storeId, { priceMinor: 10_000n, spreadBps: 0, escrow: true });
    await processor.process(checkoutId);
    const stranger = await insertStore(db);
    await expect(escrow.holdOfCheckout(checkoutId, stranger)).rejects.toMatchObject({ httpStatus: 404 });
    expect(await db.kysely.selectFrom('escrow_holds').select('id').where('checkout_id', '=', checkoutId).execute()).toEqual([]);
    expect((await escrow.holdOfCheckout(checkoutId, storeId)).status).toBe('reserved');
  });
  test('dispute → full refund of a checkout linked to a shopper account: credited to its balance once, nothing to send', async () => {
    const accountId = await shopperAccount();
    const { storeId, checkoutId } = await escrowOrder({}, accountId);
    const hold = await escrow.holdOfCheckout(checkoutId);
    const dispute = await escrow.openDispute(hold.id, 'never arrived');
    const refundsPayableBefore = await balanceOf(shopperRefundsPayable(), 'JPY');
    const feeBefore = await balanceOf(mallFeeRevenue(), 'JPY');
    await escrow.resolveDispute({ disputeId: dispute.id, resolution: 'refund_full' });
    // Retried (the operator's double click, a client retry): refused, nothing booked or announced again.
    await expect(escrow.resolveDispute({ disputeId: dispute.id, resolution: 'refund_full' })).rejects.toBeInstanceOf(EscrowTransitionRefusedError);
    await expect(escrow.cancelBeforeAcceptance({ storeId, checkoutId, reason: 'again' })).rejects.toBeInstanceOf(EscrowTransitionRefusedError);

    expect(await payoutOf(checkoutId)).toMatchObject({ status: 'refunded' });
    const refunds = await escrow.listRefunds({ storeId });
    expect(refunds).toHaveLength(1);
    const refund = refunds[0]!;
    expect(refund).toMatchObject({ status: 'credited', reason: 'dispute_refund_full', refundMinor: 10_000n, shopperAccountId: accountId, address: null, amountBase: null, txid: null });
    expect(refund.creditedAt).toEqual(clock.now());
    // The price (held amount and the mall's fee) went escrow → refunds payable → the shopper's balance.
    expect(await shopperBalanceMinor(db.kysely, accountId, parseFiatCurrency('JPY'))).toBe(10_000n);
    expect(await balanceOf(shopperRefundsPayable(), 'JPY')).toBe(refundsPayableBefore);
    expect(await balanceOf(mallFeeRevenue(), 'JPY')).toBe(feeBefore + 160n);
    expect(await balanceOf(storeEscrow(storeId), 'JPY')).toBe(0n);
    expect(await balanceOf(storePayable(storeId), 'JPY')).toBe(0n);
    const credits = await db.kysely.selectFrom('ledger_postings').select(['kind', 'dedupe_key']).where('checkout_id', '=', checkoutId).where('kind', '=', 'shopper_refund_credit').execute();
    expect(credits).toEqual([{ kind: 'shopper_refund_credit', dedupe_key: `shopper_refund:${refund.id}` }]);

    const credited = await outboxOf(checkoutId, 'refund.credited');
    expect(credited).toHaveLength(1);
    expect(credited[0]!.payload).toMatchObject({ refundId: refund.id, shopperAccountId: accountId, refundMinor: '10000', refundUrl: null });
    const balanceCredited = await outboxOf(checkoutId, 'shopper.balance_credited');
    expect(balanceCredited).toHaveLength(1);
    expect(balanceCredited[0]!.payload).toMatchObject({ accountId, reason: 'refund', amountMinor: '10000', currency: 'JPY', storeId });
    expect(await eventTypes(checkoutId)).not.toContain('refund.requested');
    expect(await eventTypes(checkoutId)).toEqual(expect.arrayContaining(['payout.refunded', 'refund.credited', 'dispute.resolved', 'shopper.balance_credited']));

    // The credit itself retried with its dedupe key books nothing.
    const again = await db.transaction((trx) =>
      creditRefundToShopperBalance(trx, { db, clock, random: cryptoRandomSource }, {
        accountId,
        storeId,
        checkoutId,
        currency: parseFiatCurrency('JPY'),
        amountMinor: 10_000n,
        from: 'refunds_payable',
        dedupeKey: `shopper_refund:${refund.id}`,
      }),
    );
    expect(again).toEqual({ balanceAfterMinor: 10_000n, booked: false });
    expect(await shopperBalanceMinor(db.kysely, accountId, parseFiatCurrency('JPY'))).toBe(10_000n);
    // Nothing to send: no address, no mark-sent.
    await expect(escrow.submitRefundAddress(refund.id, REGTEST_BTC_ADDRESS, checks)).rejects.toBeInstanceOf(RefundStatusError);
    await expect(escrow.markRefundSent({ refundId: refund.id, txid: 'ef'.repeat(32) })).rejects.toBeInstanceOf(RefundStatusError);
    expect((await escrow.listRefunds({ status: 'credited', storeId })).map((r) => r.id)).toEqual([refund.id]);

    await expectBalancedAndReconciled();
    const report = await reconcilePayouts(db);
    const jpy = report.currencies.find((c) => c.currency === 'JPY');
    expect(jpy?.payouts.refunded.count).toBeGreaterThanOrEqual(1);
    expect(jpy?.payouts.refunded.amountMinor).toBeGreaterThanOrEqual(9840n);
  }, 30_000);

  test('linked checkouts: a partial refund and a store cancel are credited (a frozen account still takes credits)', async () => {
    const accountId = await shopperAccount('frozen');
    const partial = await escrowOrder({}, accountId);
    const dispute = await escrow.openDispute((await escrow.holdOfCheckout(partial.checkoutId)).id, 'one tin dented');
    await escrow.resolveDispute({ disputeId: dispute.id, resolution: 'refund_partial', refundMinor: 3000n });
    expect(await payoutOf(partial.checkoutId)).toMatchObject({ status: 'scheduled', amount_minor: '6840' });
    expect(await escrow.listRefunds({ storeId: partial.storeId })).toMatchObject([{ status: 'credited', refundMinor: 3000n, shopperAccountId: accountId }]);
    expect(await balanceOf(storePayable(partial.storeId), 'JPY')).toBe(-6840n);

    const cancelled = await escrowOrder({}, accountId);
    await escrow.cancelBeforeAcceptance({ storeId: cancelled.storeId, checkoutId: cancelled.checkoutId, reason: 'out of stock' });
    expect(await payoutOf(cancelled.checkoutId)).toMatchObject({ status: 'refunded' });
    expect(await escrow.listRefunds({ storeId: cancelled.storeId })).toMatchObject([{ status: 'credited', reason: 'cancelled_by_store', refundMinor: 10_000n }]);
    expect(await shopperBalanceMinor(db.kysely, accountId, parseFiatCurrency('JPY'))).toBe(13_000n);
    expect(await outboxOf(cancelled.checkoutId, 'shopper.balance_credited')).toHaveLength(1);
    await expectBalancedAndReconciled();
  }, 30_000);

  test('the address link stays for an unlinked checkout, a closed or other-currency account, and a store that refunds to addresses', async () => {
    const closed = await shopperAccount('closed');
    const dollars = await shopperAccount('active', 'USD');
    const active = await shopperAccount();
    const orders = [await escrowOrder(), await escrowOrder({}, closed), await escrowOrder({}, dollars), await escrowOrder({ refundTo: 'address' }, active)];
    for (const { storeId, checkoutId } of orders) {
      await escrow.cancelBeforeAcceptance({ storeId, checkoutId, reason: 'out of stock' });
      const [refund] = await escrow.listRefunds({ storeId });
      expect(refund).toMatchObject({ status: 'awaiting_address', shopperAccountId: null, creditedAt: null });
      const requested = await outboxOf(checkoutId, 'refund.requested');
      expect(requested).toHaveLength(1);
      expect((requested[0]!.payload as { refundUrl: string }).refundUrl).toMatch(/^https:\/\/pay\.example\.test\/refunds\//);
      expect(await outboxOf(checkoutId, 'refund.credited')).toEqual([]);
      expect(await outboxOf(checkoutId, 'shopper.balance_credited')).toEqual([]);
      expect((await escrow.submitRefundAddress(refund!.id, REGTEST_BTC_ADDRESS, checks)).status).toBe('ready');
    }
    expect(await shopperBalanceMinor(db.kysely, active, parseFiatCurrency('JPY'))).toBe(0n);
    await expectBalancedAndReconciled();
  }, 30_000);

  test('the refund credit check: a credited refund names its account, an on-chain one none (database rule)', async () => {
    const accountId = await shopperAccount();
    const { storeId, checkoutId } = await escrowOrder();
    await escrow.cancelBeforeAcceptance({ storeId, checkoutId, reason: 'out of stock' });
    const [refund] = await escrow.listRefunds({ storeId });
    await expect(db.kysely.updateTable('refunds').set({ status: 'credited' }).where('id', '=', refund!.id).execute()).rejects.toThrow(/check/);
    await expect(db.kysely.updateTable('refunds').set({ shopper_account_id: accountId }).where('id', '=', refund!.id).execute()).rejects.toThrow(/check/);
    await expect(
      db.kysely.updateTable('refunds').set({ status: 'credited', shopper_account_id: accountId, credited_at: clock.now(), address: REGTEST_BTC_ADDRESS }).where('id', '=', refund!.id).execute(),
    ).rejects.toThrow(/check/);
  });
});
