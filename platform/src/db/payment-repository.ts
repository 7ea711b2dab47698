import type { Kysely, Selectable } from 'kysely';
import { cryptoAssetInfo, type Chain, type CheckoutId, type CryptoAsset, type Payment, type PaymentId } from '@coinstile/core';
import type { Database } from './database';
import type { DB, PaymentsTable } from './schema';

/** A stored payment: core's `Payment` plus where the chain has it. */
export interface PaymentRecord extends Payment {
  readonly chain: Chain;
  /** The block that includes it in the best chain; null while in the mempool or after a reorg. */
  readonly blockHash: string | null;
  readonly blockHeight: number | null;
  readonly updatedAt: Date;
}

/** What the chain follower knows about an output paying a checkout address right now. */
export interface PaymentSighting extends Payment {
  readonly blockHash: string | null;
  readonly blockHeight: number | null;
}

/**
 * Payments seen on chain, one row per output (chain, txid, output index). The follower reports each
 * sighting; the first one fixes the id, amount and first-seen time, later ones update where the chain
 * has it (confirmations, block, state).
 */
export class PaymentRepository {
  constructor(private readonly db: Database) {}

  /** Records a sighting and returns the stored payment (with the id of the first sighting). */
  async record(sighting: PaymentSighting, now: Date = new Date(), executor: Kysely<DB> = this.db.kysely): Promise<PaymentRecord> {
    const row = await executor
      .insertInto('payments')
      .values({
        id: sighting.id,
        checkout_id: sighting.checkoutId,
        chain: cryptoAssetInfo(sighting.asset).chain,
        asset: sighting.asset,
        txid: sighting.txid,
        output_index: sighting.outputIndex,
        amount_base: sighting.amountBase.toString(),
        confirmations: sighting.confirmations,
        block_hash: sighting.blockHash,
        block_height: sighting.blockHeight === null ? null : String(sighting.blockHeight),
        rbf_signalled: sighting.rbfSignalled,
        state: sighting.state,
        first_seen_at: sighting.firstSeenAt,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['chain', 'txid', 'output_index']).doUpdateSet((eb) => ({
          confirmations: eb.ref('excluded.confirmations'),
          block_hash: eb.ref('excluded.block_hash'),
          block_height: eb.ref('excluded.block_height'),
          rbf_signalled: eb.ref('excluded.rbf_signalled'),
          state: eb.ref('excluded.state'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  /** Every payment to `checkoutId`, oldest first (ids are time-ordered). */
  async listForCheckout(checkoutId: CheckoutId, executor: Kysely<DB> = this.db.kysely): Promise<PaymentRecord[]> {
    const rows = await executor.selectFrom('payments').selectAll().where('checkout_id', '=', checkoutId).orderBy('id').execute();
    return rows.map(toRecord);
  }
}

function toRecord(row: Selectable<PaymentsTable>): PaymentRecord {
  return {
    id: row.id as PaymentId,
    checkoutId: row.checkout_id as CheckoutId,
    chain: row.chain as Chain,
    asset: row.asset as CryptoAsset,
    txid: row.txid,
    outputIndex: row.output_index,
    amountBase: BigInt(row.amount_base),
    confirmations: row.confirmations,
    rbfSignalled: row.rbf_signalled,
    firstSeenAt: row.first_seen_at,
    state: row.state,
    blockHash: row.block_hash,
    blockHeight: row.block_height === null ? null : Number(row.block_height),
    updatedAt: row.updated_at,
  };
}
