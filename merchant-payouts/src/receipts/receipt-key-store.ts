import { createCipheriv, createDecipheriv, createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Clock, RandomSource } from '@coinstile/core';
import { instanceSecret, type Database } from '@coinstile/platform';
import { sql } from 'kysely';
import { ed25519PublicX, ed25519Thumbprint, publicJwk, type JsonWebKeySet } from './jwk';
import { receiptsKysely, type ReceiptsExecutor } from './receipts-schema';

/** The installation secret the private keys are encrypted under. */
export const RECEIPT_KEY_SECRET_NAME = 'receipt-signing-keys';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The key that signs new receipts. */
export interface ActiveReceiptKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

/** What the store knows about one key (never its private part). */
export interface ReceiptKeyInfo {
  readonly kid: string;
  readonly activatedAt: Date;
  readonly retiresAt: Date | null;
}

/** No key may sign (every key retired and none newer): rotate to make one. */
export class NoActiveReceiptKeyError extends Error {
  override readonly name = 'NoActiveReceiptKeyError';
  constructor() {
    super('no active receipt signing key; rotate to create one');
  }
}

/**
 * A stored private key does not decrypt: the installation secret it was encrypted under is not this
 * database's (restored from another installation, or the secret row was replaced). Rotate to sign again.
 */
export class UndecryptableReceiptKeyError extends Error {
  override readonly name = 'UndecryptableReceiptKeyError';
  constructor(readonly kid: string) {
    super(`receipt signing key ${kid} does not decrypt under this installation's secret ${RECEIPT_KEY_SECRET_NAME}`);
  }
}

/** The part of a pino logger the key store uses. */
export interface ReceiptKeyLogger {
  info(obj: object, msg?: string): void;
}

export interface ReceiptKeyStoreDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger?: ReceiptKeyLogger;
}

/**
 * The Ed25519 keys receipts are signed with, in the database so every process of an installation signs
 * with the same key and a rotation reaches all of them. Private keys are kept only encrypted (AES-256-GCM
 * under an installation secret, the `kid` as associated data, so a ciphertext cannot be moved to another
 * key's row); they are decrypted in memory when needed and never returned, logged or published.
 *
 * Rotation: a new key becomes active at once; the keys it replaces stay published (and their receipts
 * valid) until their retirement date.
 */
export class ReceiptKeyStore {
  readonly #decrypted = new Map<string, KeyObject>();

  private constructor(
    private readonly deps: ReceiptKeyStoreDeps,
    private readonly encryptionKey: Buffer,
  ) {}

  /** Loads the installation secret and makes sure a signing key exists (the first process creates it). */
  static async open(deps: ReceiptKeyStoreDeps): Promise<ReceiptKeyStore> {
    const store = new ReceiptKeyStore(deps, await instanceSecret(deps.db, RECEIPT_KEY_SECRET_NAME, deps.random));
    await store.#createKey({ onlyIfNoneActive: true });
    return store;
  }

  /**
   * Makes a new key the active one; every key not yet scheduled for retirement retires at `retireOthersAt`
   * (default now + 90 days), and until then stays published. Returns the new key's id.
   */
  async rotate(options: { retireOthersAt?: Date } = {}): Promise<string> {
    const retireOthersAt = options.retireOthersAt ?? new Date(this.deps.clock.now().getTime() + 90 * 24 * 3600_000);
    const kid = await this.#createKey({ onlyIfNoneActive: false, retireOthersAt });
    if (kid === undefined) throw new Error('rotation created no key');
    return kid;
  }

  /** Retires `kid` at `at` (a date in the past takes it out of the JWKS at once). */
  async retire(kid: string, at: Date): Promise<void> {
    await receiptsKysely(this.deps.db).updateTable('receipt_signing_keys').set({ retires_at: at }).where('kid', '=', kid).execute();
  }

  /** The newest key not retired at `now`, through `executor` (pass the open transaction when in one). */
  async activeKey(executor: ReceiptsExecutor = this.deps.db): Promise<ActiveReceiptKey> {
    const now = this.deps.clock.now();
    const row = await receiptsKysely(executor)
      .selectFrom('receipt_signing_keys')
      .select(['kid', 'private_key_ciphertext'])
      .where((eb) => eb.or([eb('retires_at', 'is', null), eb('retires_at', '>', now)]))
      .orderBy('activated_at', 'desc')
      .orderBy('kid')
      .limit(1)
      .executeTakeFirst();
    if (row === undefined) throw new NoActiveReceiptKeyError();
    let privateKey = this.#decrypted.get(row.kid);
    if (privateKey === undefined) {
      privateKey = this.#decrypt(row.kid, row.private_key_ciphertext);
      this.#decrypted.set(row.kid, privateKey);
    }
    return { kid: row.kid, privateKey };
  }

  /** Every key not retired at `now`, public parts only, newest first: the body of `/.well-known/jwks.json`. */
  async publishedKeys(now: Date = this.deps.clock.now()): Promise<JsonWebKeySet> {
    const rows = await receiptsKysely(this.deps.db)
      .selectFrom('receipt_signing_keys')
      .select(['public_x', 'retires_at'])
      .where((eb) => eb.or([eb('retires_at', 'is', null), eb('retires_at', '>', now)]))
      .orderBy('activated_at', 'desc')
      .orderBy('kid')
      .execute();
    return { keys: rows.map((r) => publicJwk(r.public_x, r.retires_at === null ? null : new Date(r.retires_at))) };
  }

  /** Every key ever created (retired ones too), newest first. */
  async list(): Promise<ReceiptKeyInfo[]> {
    const rows = await receiptsKysely(this.deps.db)
      .selectFrom('receipt_signing_keys')
      .select(['kid', 'activated_at', 'retires_at'])
      .orderBy('activated_at', 'desc')
      .orderBy('kid')
      .execute();
    return rows.map((r) => ({ kid: r.kid, activatedAt: new Date(r.activated_at), retiresAt: r.retires_at === null ? null : new Date(r.retires_at) }));
  }

  async #createKey(opts: { onlyIfNoneActive: boolean; retireOthersAt?: Date }): Promise<string | undefined> {
    const created = await this.deps.db.transaction(async (trx) => {
      // Serialises key creation across processes: two first starts create one key, two rotations two.
      await sql`SELECT pg_advisory_xact_lock(hashtext('coinstile.receipt_signing_keys'))`.execute(trx);
      const db = receiptsKysely(trx);
      const now = this.deps.clock.now();
      if (opts.onlyIfNoneActive) {
        const active = await db
          .selectFrom('receipt_signing_keys')
          .select('kid')
          .where((eb) => eb.or([eb('retires_at', 'is', null), eb('retires_at', '>', now)]))
          .executeTakeFirst();
        if (active !== undefined) return undefined;
      }
      const { privateKey } = generateKeyPairSync('ed25519');
      const x = ed25519PublicX(privateKey);
      const kid = ed25519Thumbprint(x);
      if (opts.retireOthersAt !== undefined) {
        await db.updateTable('receipt_signing_keys').set({ retires_at: opts.retireOthersAt }).where('retires_at', 'is', null).execute();
      }
      await db
        .insertInto('receipt_signing_keys')
        .values({ kid, public_x: x, private_key_ciphertext: this.#encrypt(kid, privateKey), created_at: now, activated_at: now, retires_at: null })
        .execute();
      this.#decrypted.set(kid, privateKey);
      return { kid, retireOthersAt: opts.retireOthersAt };
    });
    if (created !== undefined) {
      this.deps.logger?.info(
        { kid: created.kid, ...(created.retireOthersAt ? { previousKeysRetireAt: created.retireOthersAt.toISOString() } : {}) },
        'receipt signing key created',
      );
    }
    return created?.kid;
  }

  #encrypt(kid: string, privateKey: KeyObject): string {
    const iv = Buffer.from(this.deps.random.bytes(IV_BYTES));
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    cipher.setAAD(Buffer.from(kid, 'utf8'));
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
    const ciphertext = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
  }

  #decrypt(kid: string, stored: string): KeyObject {
    const bytes = Buffer.from(stored, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(kid, 'utf8'));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const pkcs8 = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
      return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    } catch {
      // The cause (an authentication failure) says nothing more, and nothing of the key may reach a log.
      throw new UndecryptableReceiptKeyError(kid);
    }
  }
}
