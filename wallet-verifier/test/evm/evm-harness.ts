import { randomBytes } from 'node:crypto';
import { Contract, HDNodeWallet } from 'ethers';
import pino from 'pino';
import {
  createCheckout,
  DEFAULT_STORE_POLICY,
  ID_RANDOM_BYTES,
  makeId,
  parseFiatCurrency,
  type CheckoutId,
  type Clock,
  type SpeedPolicy,
  type StoreId,
} from '@coinstile/core';
import { CheckoutRepository, cryptoRandomSource, migrateToLatest, openDatabase, type CheckoutRecord, type Database } from '@coinstile/platform';
import { startHardhat, startPostgres, type HardhatNode, type PostgresServer } from '@coinstile/testkit';
import { Registry } from 'prom-client';
import {
  CheckoutEvaluator,
  createEvmProvider,
  deriveAddress,
  EvmChainFollower,
  evmChainSpec,
  followerMetrics,
  parseReceivingWallet,
  type EvmChainSpec,
  type EvmFollowerOptions,
  type FollowerMetrics,
  type ReceivingWallet,
} from '@coinstile/wallet-verifier';
import type { JsonRpcProvider } from 'ethers';

/** A clock tests move forward by hand; starts at the real time. */
export class TestClock implements Clock {
  #ms = Date.now();
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}

export interface StoredPayment {
  id: string;
  asset: string;
  txid: string;
  output_index: number;
  amount_base: string;
  confirmations: number;
  state: string;
  block_hash: string | null;
}

export interface EvmCheckoutSpec {
  readonly asset: 'ETH' | 'USDC';
  readonly dueBase: bigint;
  readonly speed?: SpeedPolicy;
  readonly tolerancePct?: string;
  /** An address reserved beforehand with `reserveAddress` (default: the next one). */
  readonly reserved?: ReservedAddress;
}

export interface ReservedAddress {
  readonly index: number;
  readonly address: string;
}

/** A Hardhat node with a 6-decimal test USDC, and a real PostgreSQL database, migrated. */
export class EvmHarness {
  readonly clock = new TestClock();
  readonly registry = new Registry();
  readonly metrics: FollowerMetrics = followerMetrics(this.registry);
  readonly logger = pino({ level: process.env['VERIFIER_TEST_LOG'] ?? 'silent' });
  readonly evaluator: CheckoutEvaluator;
  readonly checkouts: CheckoutRepository;
  readonly spec: EvmChainSpec;
  /** The follower's own provider (as production makes it), apart from the node's test provider. */
  readonly provider: JsonRpcProvider;
  readonly #wallet: ReceivingWallet;
  #nextIndex = 0;
  readonly #stores = new Map<string, StoreId>();

  private constructor(
    readonly node: HardhatNode,
    readonly usdc: Contract,
    usdcAddress: string,
    readonly pg: PostgresServer,
    readonly databaseUrl: string,
    readonly db: Database,
  ) {
    this.evaluator = new CheckoutEvaluator(db, { clock: this.clock, random: cryptoRandomSource });
    this.checkouts = new CheckoutRepository(db);
    const xpub = HDNodeWallet.fromSeed(randomBytes(32)).derivePath("m/44'/60'/0'/0").neuter().extendedKey;
    this.#wallet = parseReceivingWallet('ETH', 'mainnet', xpub);
    this.spec = evmChainSpec(node.chainId, [{ asset: 'USDC', contract: usdcAddress, variable: 'USDC_CONTRACT' }]);
    this.provider = createEvmProvider(node.rpcUrl, node.chainId);
  }

  static async start(): Promise<EvmHarness> {
    const [node, pg] = await Promise.allSettled([startHardhat(), startPostgres()]);
    if (node.status === 'rejected' || pg.status === 'rejected') {
      await Promise.allSettled([node.status === 'fulfilled' ? node.value.stop() : undefined, pg.status === 'fulfilled' ? pg.value.stop() : undefined]);
      throw node.status === 'rejected' ? node.reason : (pg as PromiseRejectedResult).reason;
    }
    try {
      const usdc = await node.value.deployErc20({ decimals: 6 });
      const usdcAddress = await usdc.getAddress();
      const databaseUrl = await pg.value.createDatabase();
      const db = await openDatabase({ url: databaseUrl, poolSize: 8 });
      await migrateToLatest(db);
      return new EvmHarness(node.value, usdc, usdcAddress, pg.value, databaseUrl, db);
    } catch (err) {
      await Promise.allSettled([node.value.stop(), pg.value.stop()]);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.provider.destroy();
    await this.db.close().catch(() => undefined);
    await Promise.allSettled([this.node.stop(), this.pg.stop()]);
  }

  follower(options: EvmFollowerOptions = {}, provider: JsonRpcProvider = this.provider): EvmChainFollower {
    return new EvmChainFollower(this.spec, provider, this.db, this.evaluator, this.clock, cryptoRandomSource, this.logger, this.metrics, options);
  }

  async store(speed: SpeedPolicy, tolerancePct: string): Promise<StoreId> {
    const key = `${speed}/${tolerancePct}`;
    const existing = this.#stores.get(key);
    if (existing !== undefined) return existing;
    const id = makeId('st', Date.now(), randomBytes(ID_RANDOM_BYTES));
    const policy = { ...DEFAULT_STORE_POLICY, speedPolicy: speed, paymentTolerancePct: tolerancePct };
    await this.db.kysely
      .insertInto('stores')
      .values({
        id,
        name: `Store ${key}`,
        status: 'active',
        payout_currency: 'USD',
        payout_account: JSON.stringify({ iban: 'DE89370400440532013000', holderName: 'Kobe Tea House KK' }),
        wallets: JSON.stringify({ ETH: { xpub: this.#wallet.extendedPublicKey }, USDC: { xpub: this.#wallet.extendedPublicKey } }),
        policy: JSON.stringify(policy),
      })
      .execute();
    this.#stores.set(key, id);
    return id;
  }

  /** A `new` checkout paying to a fresh EIP-55 address of the store's wallet, created now by the test clock. */
  async createCheckout(spec: EvmCheckoutSpec): Promise<{ id: CheckoutId; address: string }> {
    const storeId = await this.store(spec.speed ?? 'medium_speed', spec.tolerancePct ?? '0');
    const { index, address } = spec.reserved ?? this.reserveAddress();
    const now = this.clock.now();
    const checkout = createCheckout({
      id: makeId('co', now.getTime(), randomBytes(ID_RANDOM_BYTES)),
      storeId,
      orderId: `order-${index}`,
      priceMinor: 4980n,
      currency: parseFiatCurrency('USD'),
      createdAt: now,
      policy: DEFAULT_STORE_POLICY,
    });
    await this.checkouts.insert({ ...checkout, asset: spec.asset, address, amountDueBase: spec.dueBase }, { derivationIndex: index });
    return { id: checkout.id, address };
  }

  /** The next receiving address of the store wallet, for a checkout created later. */
  reserveAddress(): ReservedAddress {
    const index = this.#nextIndex++;
    return { index, address: deriveAddress(this.#wallet, index) };
  }

  async checkout(id: CheckoutId): Promise<CheckoutRecord> {
    const c = await this.checkouts.findById(id);
    if (c === null) throw new Error(`no checkout ${id}`);
    return c;
  }

  async payments(id: CheckoutId): Promise<StoredPayment[]> {
    return (await this.db.kysely
      .selectFrom('payments')
      .select(['id', 'asset', 'txid', 'output_index', 'amount_base', 'confirmations', 'state', 'block_hash'])
      .where('checkout_id', '=', id)
      .orderBy('id')
      .execute()) as StoredPayment[];
  }

  async paymentsOfTx(txid: string): Promise<StoredPayment[]> {
    return (await this.db.kysely
      .selectFrom('payments')
      .select(['id', 'asset', 'txid', 'output_index', 'amount_base', 'confirmations', 'state', 'block_hash'])
      .where('txid', '=', txid)
      .execute()) as StoredPayment[];
  }

  /** Outbox event types written for a checkout, in order. */
  async events(id: CheckoutId): Promise<string[]> {
    const rows = await this.db.kysely.selectFrom('outbox').select(['event_type']).where('aggregate_id', '=', id).orderBy('id').execute();
    return rows.map((r) => r.event_type);
  }

  /** Sends USDC (base units) from the deployer (account 0) and waits for its block; returns the tx hash. */
  async sendUsdc(to: string, amountBase: bigint): Promise<string> {
    const tx = (await this.usdc.getFunction('transfer')(to, amountBase)) as { hash: string; wait(): Promise<unknown> };
    await tx.wait();
    return tx.hash;
  }

  async metricValue(name: string): Promise<number> {
    const metric = await this.registry.getSingleMetric(name)?.get();
    return metric?.values.find((v) => v.labels['chain'] === 'ethereum')?.value ?? 0;
  }

  async tipHeight(): Promise<number> {
    return this.node.provider.getBlockNumber();
  }
}

/** Whole ETH in wei. */
export function eth(whole: number | string): bigint {
  const [int, frac = ''] = String(whole).split('.');
  return BigInt(int!) * 10n ** 18n + BigInt(frac.padEnd(18, '0').slice(0, 18) || '0');
}
