import type { ColumnType, Kysely } from 'kysely';
import type { ChainRecentBlocksTable, CheckoutsTable, DB } from '@coinstile/platform';

/** The columns and table migration `0003-verifier` adds, on top of the shared schema. */
export interface VerifierDB extends Omit<DB, 'checkouts' | 'chain_recent_blocks'> {
  checkouts: CheckoutsTable & { address_seq: ColumnType<string | null, never, never> };
  chain_recent_blocks: ChainRecentBlocksTable & { processed_at: ColumnType<Date, Date | undefined, Date> };
  chain_transaction_inputs: { chain: string; txid: string; outpoints: string[] };
}

/** The same connection typed with the verifier's columns. */
export function asVerifierDb(kysely: Kysely<DB>): Kysely<VerifierDB> {
  return kysely as unknown as Kysely<VerifierDB>;
}
