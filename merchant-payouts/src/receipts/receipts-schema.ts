import type { Kysely } from 'kysely';
import type { Database, DB } from '@coinstile/platform';

/** `receipt_signing_keys` (migration 0011). */
export type ReceiptSigningKeysTable = {
  kid: string;
  public_x: string;
  private_key_ciphertext: string;
  created_at: Date | string;
  activated_at: Date | string;
  retires_at: Date | string | null;
};

/** `receipts` (migration 0011): one signed receipt per checkout. */
export type ReceiptsTable = {
  id: string;
  checkout_id: string;
  store_id: string;
  kid: string;
  jws: string;
  issued_at: Date | string;
};

export type ReceiptTables = {
  receipt_signing_keys: ReceiptSigningKeysTable;
  receipts: ReceiptsTable;
};

export type ReceiptsDB = DB & ReceiptTables;

/** A database handle or an open transaction. */
export type ReceiptsExecutor = Database | Kysely<DB>;

/** The handle typed with the receipt tables (the same connection or transaction). */
export function receiptsKysely(db: ReceiptsExecutor): Kysely<ReceiptsDB> {
  const kysely = 'kysely' in db ? db.kysely : db;
  return kysely.withTables<ReceiptTables>() as unknown as Kysely<ReceiptsDB>;
}
