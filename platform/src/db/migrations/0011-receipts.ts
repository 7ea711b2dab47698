import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Signed payment receipts (the "electronic check") and the keys that sign them.
 *
 * - `receipt_signing_keys`: Ed25519 keys, `kid` their RFC 7638 JWK thumbprint. The private key (PKCS#8)
 *   is stored only encrypted (AES-256-GCM under an installation secret; `iv || tag || ciphertext`,
 *   base64). The newest `activated_at` that is not retired signs; a key stays published in the JWKS until
 *   `retires_at` (null: not scheduled for retirement).
 * - `receipts`: one signed receipt per checkout (unique), the compact JWS exactly as issued, so issuing
 *   again returns the same bytes.
 */
const up = sql`
CREATE TABLE receipt_signing_keys (
  kid                    text PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_-]{43}$'),
  public_x               text NOT NULL UNIQUE CHECK (public_x ~ '^[A-Za-z0-9_-]{43}$'),
  private_key_ciphertext text NOT NULL,
  created_at             timestamptz NOT NULL,
  activated_at           timestamptz NOT NULL,
  retires_at             timestamptz
);
CREATE INDEX receipt_signing_keys_activated_idx ON receipt_signing_keys (activated_at DESC);

CREATE TABLE receipts (
  id          text PRIMARY KEY,
  checkout_id text NOT NULL UNIQUE REFERENCES checkouts(id),
  store_id    text NOT NULL REFERENCES stores(id),
  kid         text NOT NULL REFERENCES receipt_signing_keys(kid),
  jws         text NOT NULL,
  issued_at   timestamptz NOT NULL
);
CREATE INDEX receipts_store_idx ON receipts (store_id, issued_at);
`;

const down = sql`DROP TABLE receipts, receipt_signing_keys;`;

export const receipts: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
  },
};
