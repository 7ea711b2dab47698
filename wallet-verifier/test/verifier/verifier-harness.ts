import { randomBytes } from 'node:crypto';
import { HDNodeWallet } from 'ethers';
import pino from 'pino';
import {
  createCheckout,
  DEFAULT_STORE_POLICY,
  ID_RANDOM_BYTES,
  makeId,
  parseFiatCurrency,
  type CheckoutEvent,
  type CheckoutId,
  type Clock,
  type SpeedPolicy,
  type StoreId,
} from '@coinstile/core';
import { CheckoutRepository, cryptoRandomSource, migrateToLatest, openDatabase, type CheckoutRecord, type Database, type DB } from '@coinstile/platform';
import { startLitecoind, startPostgres, type LitecoinRegtest, type PostgresServer } from '@coinstile/testkit';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import {
  BitcoinRpcClient,
  CheckoutEvaluator,
  deriveAddress,
  followerMetrics,
  parseReceivingWallet,
  UtxoChainFollower,
  utxoChainSpec,
  type FollowerMetrics,
  type ReceivingWallet,
  type UtxoFollowerOptions,
} from '@coinstile/wallet-verifier';
import { decodeExtendedPublicKey, encodeExtendedPublicKey } from '../../src/addresses/extended-public-key';

const TPUB_VERSION = 0x043587cf;

/** The real time plus an offset tests move forward by hand (expiry, late payments); never goes back. */
export class TestClock implements Clock {
  #offsetMs = 0;
  #lastMs = 0;
  now(): Date {
    this.#lastMs = Math.max(this.#lastMs, Date.now() + this.#offsetMs);
    return new Date(this.#lastMs);
  }
  advance(ms: number): void {
    this.#offsetMs += ms;
  }
}

export interface CheckoutSpec {
  readonly dueLitoshi: bigint;
  readonly speed?: SpeedPolicy;
  readonly tolerancePct?: string;
}

export interface StoredPayment {
  id: string;
  txid: string;
  output_index: number;
  amount_base: string;
  confirmations: number;
  state: string;
  block_hash: string | null;
  rbf_signalled: boolean;
}

/** litecoind regtest + a real PostgreSQL database, migrated, with stores and checkouts made as the gateway would. */
export class VerifierHarness {
  readonly clock = new TestClock();
  readonly registry = new Registry();
  readonly metrics: FollowerMetrics = followerMetrics(this.registry);
  readonly logger = pino({ level: process.env['VERIFIER_TEST_LOG'] ?? 'silent' });
  readonly evaluator: CheckoutEvaluator;
  readonly rpc: BitcoinRpcClient;
  readonly checkouts: CheckoutRepository;
  readonly #wallet: ReceivingWallet;
  #nextIndex = 0;
  readonly #stores = new Map<string, StoreId>();

  private constructor(
    readonly node: LitecoinRegtest,
    private readonly pg: PostgresServer | undefined,
    private readonly url: string | undefined,
    readonly db: Database,
  ) {
    this.evaluator = new CheckoutEvaluator(db, { clock: this.clock, random: cryptoRandomSource });
    this.rpc = new BitcoinRpcClient(node.rpcUrl);
    this.checkouts = new CheckoutRepository(db);
    const root = HDNodeWallet.fromSeed(randomBytes(32));
    const tpub = encodeExtendedPublicKey(decodeExtendedPublicKey(root.derivePath("m/84'/1'/0'").neuter().extendedKey), TPUB_VERSION);
    this.#wallet = parseReceivingWallet('LTC', 'regtest', tpub);
  }

  /** litecoind and a migrated database: a real PostgreSQL server (default), or embedded PGlite in memory. */
  static async start(engine: 'postgres' | 'pglite' = 'postgres'): Promise<VerifierHarness> {
    const [node, pg] = await Promise.all([startLitecoind(), engine === 'postgres' ? startPostgres() : undefined]);
    try {
      const databaseUrl = pg === undefined ? undefined : await pg.createDatabase();
      const db = await openDatabase(databaseUrl === undefined ? {} : { url: databaseUrl, poolSize: 8 });
      await migrateToLatest(db);
      return new VerifierHarness(node, pg, databaseUrl, db);
    } catch (err) {
      await Promise.allSettled([node.stop(), pg?.stop()]);
      throw err;
    }
  }

  /** The PostgreSQL URL (Postgres harnesses only). */
  get databaseUrl(): string {
    if (this.url === undefined) throw new Error('this harness runs on PGlite');
    return this.url;
  }

  async close(): Promise<void> {
    await this.db.close().catch(() => undefined);
    await Promise.allSettled([this.node.stop(), this.pg?.stop()]);
  }

  follower(options: UtxoFollowerOptions = {}, evaluator: CheckoutEvaluator = this.evaluator): UtxoChainFollower {
    return new UtxoChainFollower(
      utxoChainSpec('litecoin', 'regtest'),
      this.rpc,
      this.db,
      evaluator,
      this.clock,
      cryptoRandomSource,
      this.logger,
      this.metrics,
      options,
    );
  }

  async store(speed: SpeedPolicy, tolerancePct: string): Promise<StoreId> {
    const key = `${speed}/${tolerancePct}`;
    const existing = this.#stores.get(key);
    if (existing !== undefined) return existing;
    const id = makeId('st', Date.now(), randomBytes(ID_RANDOM_BYTES));
    const policy = { ...DEFAULT_STORE_POLICY, speedPolicy: speed, paymentTolerancePct: tolerancePct, spreadBps: 0 };
    await this.db.kysely
      .insertInto('stores')
      .values({
        id,
        name: `Store ${key}`,
        status: 'active',
        payout_currency: 'JPY',
        payout_account: JSON.stringify({ iban: 'DE89370400440532013000', holderName: 'Kobe Tea House KK' }),
        wallets: JSON.stringify({ LTC: { xpub: this.#wallet.extendedPublicKey } }),
        policy: JSON.stringify(policy),
      })
      .execute();
    this.#stores.set(key, id);
    return id;
  }

  /** A `new` LTC checkout paying to a fresh address of the store's wallet, created now by the test clock. */
  async createCheckout(spec: CheckoutSpec, executor?: Kysely<DB>): Promise<{ id: CheckoutId; address: string }> {
    const storeId = await this.store(spec.speed ?? 'medium_speed', spec.tolerancePct ?? '0');
    const index = this.#nextIndex++;
    const address = deriveAddress(this.#wallet, index);
    const now = this.clock.now();
    const checkout = createCheckout({
      id: makeId('co', now.getTime(), randomBytes(ID_RANDOM_BYTES)),
      storeId,
      orderId: `order-${index}`,
      priceMinor: 4980n,
      currency: parseFiatCurrency('JPY'),
      createdAt: now,
      policy: DEFAULT_STORE_POLICY,
    });
    await this.checkouts.insert(
      { ...checkout, asset: 'LTC', address, amountDueBase: spec.dueLitoshi },
      { derivationIndex: index },
      [],
      executor,
    );
    return { id: checkout.id, address };
  }

  async checkout(id: CheckoutId): Promise<CheckoutRecord> {
    const c = await this.checkouts.findById(id);
    if (c === null) throw new Error(`no checkout ${id}`);
    return c;
  }

  async payments(id: CheckoutId): Promise<StoredPayment[]> {
    return (await this.db.kysely
      .selectFrom('payments')
      .select(['id', 'txid', 'output_index', 'amount_base', 'confirmations', 'state', 'block_hash', 'rbf_signalled'])
      .where('checkout_id', '=', id)
      .orderBy('id')
      .execute()) as StoredPayment[];
  }

  /** Outbox event types written for a checkout, in order. */
  async events(id: CheckoutId): Promise<string[]> {
    const rows = await this.db.kysely.selectFrom('outbox').select(['event_type']).where('aggregate_id', '=', id).orderBy('id').execute();
    return rows.map((r) => r.event_type);
  }

  async eventPayloads(id: CheckoutId): Promise<CheckoutEvent[]> {
    const rows = await this.db.kysely.selectFrom('outbox').select(['payload']).where('aggregate_id', '=', id).orderBy('id').execute();
    return rows.map((r) => r.payload as CheckoutEvent);
  }

  /** Rounds until the follower has processed the node's tip (a round processes every block up to it). */
  async sync(follower: UtxoChainFollower, rounds = 1): Promise<void> {
    for (let i = 0; i < rounds; i++) await follower.syncOnce();
  }
}

/** LTC amount string for litoshi. */
export function ltc(litoshi: bigint): string {
  const whole = litoshi / 100_000_000n;
  const frac = (litoshi % 100_000_000n).toString().padStart(8, '0');
  return `${whole}.${frac}`;
}
