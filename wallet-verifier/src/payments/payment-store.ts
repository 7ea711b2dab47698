import { sql, type Kysely, type Selectable } from 'kysely';
import type { PaymentsTable } from '@coinstile/platform';
import {
  makeId,
  ID_RANDOM_BYTES,
  type Chain,
  type CheckoutId,
  type CryptoAsset,
  type Payment,
  type PaymentId,
  type PaymentState,
  type RandomSource,
} from '@coinstile/core';
import type { VerifierDB } from './verifier-schema';

/** Where a follower saw an output paying a watched destination. */
export interface OutputSighting {
  readonly checkoutId: CheckoutId;
  readonly asset: CryptoAsset;
  readonly txid: string;
  /** Output index (UTXO), log index (ERC-20) or 0 (native ETH). */
  readonly outputIndex: number;
  readonly amountBase: bigint;
  readonly rbfSignalled: boolean;
  /** The block of the best chain holding it; null for a mempool sighting. */
  readonly block: { readonly hash: string; readonly height: number } | null;
  /** For a block sighting: the chain's tip height, to count confirmations. */
  readonly tipHeight: number;
}

/** Live payments stop having their confirmations refreshed once this deep (far beyond any policy). */
export const CONFIRMATION_TRACKING_DEPTH = 100;
/** Rows per INSERT: Postgres allows 65,535 parameters per statement. */
const INSERT_CHUNK = 1000;

/**
 * The follower's writes to `payments` (chain-agnostic). A payment is one row per (chain, txid, output):
 * the first sighting fixes its id, amount and first-seen time; later sightings only move it on the chain.
 * Every method takes the executor of the caller's transaction and returns the checkouts it touched,
 * which the caller then re-evaluates.
 */
export class PaymentStore {
  constructor(
    private readonly chain: Chain,
    private readonly random: RandomSource,
  ) {}

  /**
   * Records sightings. A block sighting puts the payment in that block (`confirmed`); a mempool sighting
   * makes a payment no longer in any block `pending` again (an orphaned transaction re-broadcast, a
   * re-sighting after restart) and never takes a payment out of its block.
   */
  async record(trx: Kysely<VerifierDB>, sightings: readonly OutputSighting[], now: Date): Promise<Set<CheckoutId>> {
    const touched = new Set<CheckoutId>();
    for (let i = 0; i < sightings.length; i += INSERT_CHUNK) {
      const chunk = sightings.slice(i, i + INSERT_CHUNK);
      const rows = chunk.map((s) => ({
        id: makeId('pay', now.getTime(), this.random.bytes(ID_RANDOM_BYTES)),
        checkout_id: s.checkoutId,
        chain: this.chain,
        asset: s.asset,
        txid: s.txid,
        output_index: s.outputIndex,
        amount_base: s.amountBase.toString(),
        confirmations: s.block === null ? 0 : Math.max(1, s.tipHeight - s.block.height + 1),
        block_hash: s.block?.hash ?? null,
        block_height: s.block === null ? null : String(s.block.height),
        rbf_signalled: s.rbfSignalled,
        state: (s.block === null ? 'pending' : 'confirmed') as PaymentState,
        first_seen_at: now,
        updated_at: now,
      }));
      const result = await trx
        .insertInto('payments')
        .values(rows)
        .onConflict((oc) =>
          oc.columns(['chain', 'txid', 'output_index']).doUpdateSet({
            confirmations: sql`CASE WHEN excluded.block_hash IS NOT NULL OR payments.block_hash IS NULL THEN excluded.confirmations ELSE payments.confirmations END`,
            block_hash: sql`COALESCE(excluded.block_hash, payments.block_hash)`,
            block_height: sql`COALESCE(excluded.block_height, payments.block_height)`,
            state: sql`CASE WHEN excluded.block_hash IS NOT NULL THEN 'confirmed' WHEN payments.block_hash IS NULL THEN 'pending' ELSE payments.state END`,
            updated_at: sql`excluded.updated_at`,
          }),
        )
        .returning('checkout_id')
        .execute();
      for (const r of result) touched.add(r.checkout_id as CheckoutId);
    }
    return touched;
  }

  /** Remembers the outpoints a paying transaction spends (to classify it should it vanish). */
  async recordInputs(trx: Kysely<VerifierDB>, txs: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const rows = [...txs].map(([txid, outpoints]) => ({ chain: this.chain, txid, outpoints: [...outpoints] }));
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await trx
        .insertInto('chain_transaction_inputs')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .onConflict((oc) => oc.columns(['chain', 'txid']).doNothing())
        .execute();
    }
  }

  async inputsOf(trx: Kysely<VerifierDB>, txid: string): Promise<string[] | null> {
    const row = await trx
      .selectFrom('chain_transaction_inputs')
      .select('outpoints')
      .where('chain', '=', this.chain)
      .where('txid', '=', txid)
      .executeTakeFirst();
    return row?.outpoints ?? null;
  }

  /** A reorg took the blocks above `height` off the best chain: their payments lose their block. */
  async disconnectAbove(trx: Kysely<VerifierDB>, height: number, now: Date): Promise<Set<CheckoutId>> {
    const rows = await trx
      .updateTable('payments')
      .set({ block_hash: null, block_height: null, confirmations: 0, state: 'pending', updated_at: now })
      .where('chain', '=', this.chain)
      .where('block_height', '>', String(height))
      .returning('checkout_id')
      .execute();
    return new Set(rows.map((r) => r.checkout_id as CheckoutId));
  }

  /**
   * Recounts the confirmations of mined payments of checkouts still waiting on them (`new`,
   * `processing`) against the tip; returns the checkouts whose counts changed.
   */
  async refreshConfirmations(trx: Kysely<VerifierDB>, tipHeight: number, now: Date): Promise<Set<CheckoutId>> {
    const rows = await trx
      .updateTable('payments')
      .set({ confirmations: sql`(${tipHeight}::bigint - payments.block_height + 1)::integer`, updated_at: now })
      .where('chain', '=', this.chain)
      .where('state', '=', 'confirmed')
      .where('block_height', '>', String(tipHeight - CONFIRMATION_TRACKING_DEPTH))
      .where('block_height', '<=', String(tipHeight))
      .where(sql<boolean>`payments.confirmations <> (${tipHeight}::bigint - payments.block_height + 1)`)
      .where('checkout_id', 'in', (eb) => eb.selectFrom('checkouts').select('id').where('status', 'in', ['new', 'processing']))
      .returning('checkout_id')
      .execute();
    return new Set(rows.map((r) => r.checkout_id as CheckoutId));
  }

  /** Payments waiting in the mempool as far as the store knows (not in any block, still live). */
  async unmined(trx: Kysely<VerifierDB>): Promise<{ txid: string; checkoutId: CheckoutId }[]> {
    const rows = await trx
      .selectFrom('payments')
      .select(['txid', 'checkout_id'])
      .where('chain', '=', this.chain)
      .where('block_hash', 'is', null)
      .where('state', '=', 'pending')
      .execute();
    return rows.map((r) => ({ txid: r.txid, checkoutId: r.checkout_id as CheckoutId }));
  }

  /** The transaction left the mempool without entering the chain: its payments become `state`. */
  async markGone(trx: Kysely<VerifierDB>, txid: string, state: 'orphaned' | 'replaced', now: Date): Promise<Set<CheckoutId>> {
    const rows = await trx
      .updateTable('payments')
      .set({ state, confirmations: 0, updated_at: now })
      .where('chain', '=', this.chain)
      .where('txid', '=', txid)
      .where('block_hash', 'is', null)
      .where('state', '=', 'pending')
      .returning('checkout_id')
      .execute();
    return new Set(rows.map((r) => r.checkout_id as CheckoutId));
  }
}

/** Every payment of a checkout, as core's `Payment`. */
export async function paymentsOfCheckout(trx: Kysely<VerifierDB>, checkoutId: CheckoutId): Promise<Payment[]> {
  const rows = await trx.selectFrom('payments').selectAll().where('checkout_id', '=', checkoutId).orderBy('id').execute();
  return rows.map(paymentFromRow);
}

/** A `payments` row as core's `Payment`. */
export function paymentFromRow(r: Selectable<PaymentsTable>): Payment {
  return {
    id: r.id as PaymentId,
    checkoutId: r.checkout_id as CheckoutId,
    asset: r.asset as CryptoAsset,
    txid: r.txid,
    outputIndex: r.output_index,
    amountBase: BigInt(r.amount_base),
    confirmations: r.confirmations,
    rbfSignalled: r.rbf_signalled,
    firstSeenAt: r.first_seen_at,
    state: r.state,
  };
}
