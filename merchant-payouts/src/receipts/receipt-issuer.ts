import { nextId, type CheckoutId, type Clock, type RandomSource } from '@coinstile/core';
import { pipelineKysely } from '../pipeline-schema';
import { signCompactJws } from './compact-jws';
import { RECEIPT_JWS_TYPE, type ReceiptClaims, type ReceiptPayment } from './receipt-claims';
import type { ReceiptKeyStore } from './receipt-key-store';
import { ReceiptRefusedError } from './receipt-refused-error';
import { receiptsKysely, type ReceiptsExecutor } from './receipts-schema';

/** What issuing needs: who signs (`iss`, the installation's PUBLIC_URL), with which keys, and ids and time. */
export interface ReceiptSigner {
  readonly issuer: string;
  readonly keys: ReceiptKeyStore;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/** A stored receipt. */
export interface IssuedReceipt {
  readonly id: string;
  readonly checkoutId: string;
  readonly storeId: string;
  readonly kid: string;
  /** The compact JWS the store verifies. */
  readonly jws: string;
  readonly issuedAt: Date;
}

/**
 * The signed receipt of a settled checkout: issued and stored the first time, the stored one every time
 * after (one per checkout, whoever asks first wins a race). `db` may be an open transaction (e.g. the
 * release's), so the receipt commits with it. Throws `ReceiptRefusedError` for a checkout that does not
 * exist or is not settled, `NoActiveReceiptKeyError` when no key may sign.
 */
export async function issueReceipt(db: ReceiptsExecutor, checkoutId: CheckoutId, signer: ReceiptSigner): Promise<IssuedReceipt> {
  const existing = await storedReceipt(db, checkoutId);
  if (existing !== undefined) return existing;

  const checkout = await pipelineKysely(db)
    .selectFrom('checkouts')
    .select(['id', 'store_id', 'order_id', 'status', 'price_minor', 'currency', 'asset', 'amount_paid_base', 'counted_payment_ids', 'settled_at'])
    .where('id', '=', checkoutId)
    .executeTakeFirst();
  if (checkout === undefined) throw new ReceiptRefusedError('unknown_checkout', checkoutId, `No checkout ${checkoutId}`);
  if (checkout.status !== 'settled' || checkout.asset === null || checkout.settled_at === null) {
    throw new ReceiptRefusedError('checkout_not_settled', checkoutId, `Checkout ${checkoutId} is ${checkout.status}, not settled`);
  }
  const paymentRows =
    checkout.counted_payment_ids.length === 0
      ? []
      : await pipelineKysely(db)
          .selectFrom('payments')
          .select(['txid', 'output_index', 'amount_base', 'confirmations'])
          .where('id', 'in', checkout.counted_payment_ids)
          .orderBy('txid')
          .orderBy('output_index')
          .execute();
  const payments: ReceiptPayment[] = paymentRows.map((p) => ({ txid: p.txid, outputIndex: p.output_index, amountBase: p.amount_base, confirmations: p.confirmations }));

  const key = await signer.keys.activeKey(db);
  const issuedAt = signer.clock.now();
  const id = nextId('rcpt', signer.clock, signer.random);
  const claims: ReceiptClaims = {
    iss: signer.issuer,
    sub: checkout.id,
    rcpt: id,
    storeId: checkout.store_id,
    orderId: checkout.order_id,
    priceMinor: checkout.price_minor,
    currency: checkout.currency,
    asset: checkout.asset,
    amountReceivedBase: checkout.amount_paid_base,
    txids: [...new Set(payments.map((p) => p.txid))],
    payments,
    confirmations: payments.length === 0 ? 0 : Math.min(...payments.map((p) => p.confirmations)),
    settledAt: new Date(checkout.settled_at).toISOString(),
    iat: Math.floor(issuedAt.getTime() / 1000),
  };
  const jws = signCompactJws({ alg: 'EdDSA', typ: RECEIPT_JWS_TYPE, kid: key.kid }, Buffer.from(JSON.stringify(claims), 'utf8'), key.privateKey);
  await receiptsKysely(db)
    .insertInto('receipts')
    .values({ id, checkout_id: checkout.id, store_id: checkout.store_id, kid: key.kid, jws, issued_at: issuedAt })
    .onConflict((oc) => oc.column('checkout_id').doNothing())
    .execute();
  const stored = await storedReceipt(db, checkoutId);
  if (stored === undefined) throw new Error(`receipt of ${checkoutId} vanished right after it was written`);
  return stored;
}

/** The stored receipt of a checkout, if one was issued. */
export async function storedReceipt(db: ReceiptsExecutor, checkoutId: string): Promise<IssuedReceipt | undefined> {
  const row = await receiptsKysely(db)
    .selectFrom('receipts')
    .select(['id', 'checkout_id', 'store_id', 'kid', 'jws', 'issued_at'])
    .where('checkout_id', '=', checkoutId)
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : { id: row.id, checkoutId: row.checkout_id, storeId: row.store_id, kid: row.kid, jws: row.jws, issuedAt: new Date(row.issued_at) };
}

/**
 * Issues the receipts of released orders that have none yet, oldest release first, at most `limit`:
 * catches up after a process stopped between a release and its receipt. Returns how many were issued.
 */
export async function issueMissingReceipts(db: ReceiptsExecutor, signer: ReceiptSigner, limit = 500): Promise<number> {
  const missing = await pipelineKysely(db)
    .withTables<{ receipts: { checkout_id: string } }>()
    .selectFrom('order_releases')
    .leftJoin('receipts', 'receipts.checkout_id', 'order_releases.checkout_id')
    .innerJoin('checkouts', 'checkouts.id', 'order_releases.checkout_id')
    .select('order_releases.checkout_id')
    .where('receipts.checkout_id', 'is', null)
    .where('checkouts.status', '=', 'settled')
    .orderBy('order_releases.released_at')
    .limit(limit)
    .execute();
  for (const row of missing) await issueReceipt(db, row.checkout_id as CheckoutId, signer);
  return missing.length;
}
