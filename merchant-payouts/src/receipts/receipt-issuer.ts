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
  const result = (await issueReceipts(db, [checkoutId], signer)).get(checkoutId);
  if (result === undefined) throw new Error(`no receipt result for ${checkoutId}`);
  if (result instanceof ReceiptRefusedError) throw result;
  return result;
}

/**
 * `issueReceipt` for many checkouts in a constant number of statements whatever their number (the
 * pipeline calls it with a whole release batch). A checkout that cannot have a receipt gets its
 * `ReceiptRefusedError` as its result, never failing the others.
 */
export async function issueReceipts(
  db: ReceiptsExecutor,
  checkoutIds: readonly CheckoutId[],
  signer: ReceiptSigner,
): Promise<Map<CheckoutId, IssuedReceipt | ReceiptRefusedError>> {
  const ids = [...new Set(checkoutIds)].sort();
  const results = new Map<CheckoutId, IssuedReceipt | ReceiptRefusedError>();
  if (ids.length === 0) return results;
  for (const receipt of await storedReceipts(db, ids)) results.set(receipt.checkoutId as CheckoutId, receipt);
  const toIssue = ids.filter((id) => !results.has(id));
  if (toIssue.length === 0) return results;

  const checkouts = await pipelineKysely(db)
    .selectFrom('checkouts')
    .select(['id', 'store_id', 'order_id', 'status', 'price_minor', 'currency', 'asset', 'amount_paid_base', 'counted_payment_ids', 'settled_at'])
    .where('id', 'in', toIssue)
    .execute();
  const byId = new Map(checkouts.map((c) => [c.id, c]));
  const settled: ((typeof checkouts)[number] & { asset: string; settled_at: Date })[] = [];
  for (const id of toIssue) {
    const checkout = byId.get(id);
    if (checkout === undefined) results.set(id, new ReceiptRefusedError('unknown_checkout', id, `No checkout ${id}`));
    else if (checkout.status !== 'settled' || checkout.asset === null || checkout.settled_at === null) {
      results.set(id, new ReceiptRefusedError('checkout_not_settled', id, `Checkout ${id} is ${checkout.status}, not settled`));
    } else settled.push({ ...checkout, asset: checkout.asset, settled_at: checkout.settled_at });
  }
  if (settled.length === 0) return results;

  const paymentIds = settled.flatMap((c) => c.counted_payment_ids);
  const paymentRows =
    paymentIds.length === 0
      ? []
      : await pipelineKysely(db)
          .selectFrom('payments')
          .select(['checkout_id', 'txid', 'output_index', 'amount_base', 'confirmations'])
          .where('id', 'in', paymentIds)
          .orderBy('txid')
          .orderBy('output_index')
          .execute();
  const paymentsOf = new Map<string, ReceiptPayment[]>();
  for (const p of paymentRows) {
    const list = paymentsOf.get(p.checkout_id) ?? [];
    list.push({ txid: p.txid, outputIndex: p.output_index, amountBase: p.amount_base, confirmations: p.confirmations });
    paymentsOf.set(p.checkout_id, list);
  }
  const key = await signer.keys.activeKey(db);
  const issuedAt = signer.clock.now();
  const header = { alg: 'EdDSA', typ: RECEIPT_JWS_TYPE, kid: key.kid };
  const rows = settled.map((checkout) => {
    const payments = paymentsOf.get(checkout.id) ?? [];
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
    const jws = signCompactJws(header, Buffer.from(JSON.stringify(claims), 'utf8'), key.privateKey);
    return { id, checkout_id: checkout.id, store_id: checkout.store_id, kid: key.kid, jws, issued_at: issuedAt };
  });
  const inserted = await receiptsKysely(db)
    .insertInto('receipts')
    .values(rows)
    .onConflict((oc) => oc.column('checkout_id').doNothing())
    .returning('checkout_id')
    .execute();
  const stored = new Set(inserted.map((r) => r.checkout_id));
  for (const row of rows) {
    if (stored.has(row.checkout_id)) results.set(row.checkout_id as CheckoutId, { id: row.id, checkoutId: row.checkout_id, storeId: row.store_id, kid: row.kid, jws: row.jws, issuedAt: row.issued_at });
  }
  // A concurrent issuer stored the others' receipts first: theirs are the receipts, read them back.
  const lostRace = rows.filter((row) => !stored.has(row.checkout_id)).map((row) => row.checkout_id);
  if (lostRace.length > 0) for (const receipt of await storedReceipts(db, lostRace)) results.set(receipt.checkoutId as CheckoutId, receipt);
  for (const checkout of settled) {
    if (!results.has(checkout.id as CheckoutId)) throw new Error(`receipt of ${checkout.id} vanished right after it was written`);
  }
  return results;
}

/** The stored receipt of a checkout, if one was issued. */
export async function storedReceipt(db: ReceiptsExecutor, checkoutId: string): Promise<IssuedReceipt | undefined> {
  return (await storedReceipts(db, [checkoutId]))[0];
}

async function storedReceipts(db: ReceiptsExecutor, checkoutIds: readonly string[]): Promise<IssuedReceipt[]> {
  const rows = await receiptsKysely(db)
    .selectFrom('receipts')
    .select(['id', 'checkout_id', 'store_id', 'kid', 'jws', 'issued_at'])
    .where('checkout_id', 'in', checkoutIds)
    .execute();
  return rows.map((row) => ({ id: row.id, checkoutId: row.checkout_id, storeId: row.store_id, kid: row.kid, jws: row.jws, issuedAt: new Date(row.issued_at) }));
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
  const results = await issueReceipts(db, missing.map((r) => r.checkout_id as CheckoutId), signer);
  return [...results.values()].filter((r) => !(r instanceof ReceiptRefusedError)).length;
}
