import { sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceRuntime, loadConfig, type ServiceRuntime } from '@coinstile/platform';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@coinstile/testkit';
import { decodeBase58, encodeBase58, getBytes, HDNodeWallet, Mnemonic, sha256, toBeArray } from 'ethers';
import { type RunningGateway, startGateway, type StartGatewayOptions } from '../../src';

export const OPERATOR_TOKEN = 'test-operator-token-0123456789abcdef';
export const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

/** A gateway on a real PostgreSQL and redis-server, listening on a free port, FX from the static demo source. */
export interface GatewayHarness {
  readonly url: string;
  /** Error log lines (a 500 logs its cause here). */
  readonly logs: string[];
  readonly runtime: ServiceRuntime;
  readonly gateway: RunningGateway;
  request(method: string, path: string, opts?: RequestOptions): Promise<TestResponse>;
  stop(): Promise<void>;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is (for malformed JSON). */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

export interface HarnessOptions extends StartGatewayOptions {
  readonly env?: Record<string, string>;
  /** `pglite`: the embedded database `npm start` uses, in the harness's data folder. Default `postgres`. */
  readonly engine?: 'postgres' | 'pglite';
}

export async function startHarness(options: HarnessOptions = {}): Promise<GatewayHarness> {
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  const { engine: _engine, env: _env, ...gatewayOptions } = options;
  const dataDir = mkdtempSync(join(tmpdir(), 'coinstile-gateway-'));
  let runtime: ServiceRuntime | undefined;
  try {
    const pglite = options.engine === 'pglite';
    [postgres, redis] = await Promise.all([pglite ? Promise.resolve(undefined) : startPostgres(), startRedis()]);
    const config = loadConfig(
      {
        ...(postgres ? { DATABASE_URL: await postgres.createDatabase() } : {}),
        REDIS_URL: redis.url,
        COINSTILE_DATA_DIR: dataDir,
        COINSTILE_OPERATOR_TOKEN: OPERATOR_TOKEN,
        LOG_LEVEL: 'error',
        PUBLIC_URL: 'https://pay.example.test',
        BTC_NETWORK: 'mainnet',
        LTC_NETWORK: 'regtest',
        ETH_CHAIN_ID: '1',
        USDC_CONTRACT: '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48',
        FX_SOURCES: 'static',
        FX_STATIC_RATES: 'BTC-USD=60000,LTC-USD=80,ETH-USD=3000,USDC-USD=1,BTC-JPY=9000000,LTC-JPY=12000,ETH-JPY=450000,USDC-JPY=150',
        ...options.env,
      },
      { cwd: dataDir },
    );
    const logs: string[] = [];
    runtime = await createServiceRuntime(config, { service: 'gateway-test', logDestination: { write: (line) => void logs.push(line) } });
    const gateway = await startGateway(runtime, { port: 0, ...gatewayOptions });
    const url = gateway.listenUrl;
    const rt = runtime;
    const pg = postgres;
    const rd = redis!;
    return {
      url,
      logs,
      runtime: rt,
      gateway,
      async request(method, path, opts = {}) {
        const headers: Record<string, string> = { ...opts.headers };
        if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
        let body: string | undefined;
        if (opts.rawBody !== undefined) body = opts.rawBody;
        else if (opts.body !== undefined) body = JSON.stringify(opts.body);
        if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
        const res = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
        const text = await res.text();
        let parsed: unknown = undefined;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        return { status: res.status, headers: res.headers, text, body: parsed };
      },
      async stop() {
        await rt.lifecycle.shutdown('test over');
        await Promise.allSettled([pg?.stop(), rd.stop()]);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await runtime?.lifecycle.shutdown('start failed');
    await Promise.allSettled([postgres?.stop(), redis?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** An extended key re-encoded with other BIP32 version bytes (Base58Check). */
function withVersion(extendedKey: string, version: number): string {
  const raw = toBeArray(decodeBase58(extendedKey));
  const payload = Uint8Array.from(raw.slice(0, raw.length - 4));
  new DataView(payload.buffer).setUint32(0, version);
  const check = getBytes(sha256(sha256(payload))).slice(0, 4);
  return encodeBase58(Uint8Array.from([...payload, ...check]));
}

/** Wallet keys of the BIP39 test mnemonic (public halves only go to the API). */
export const keys = (() => {
  const root = HDNodeWallet.fromSeed(Mnemonic.fromPhrase(ABANDON).computeSeed());
  const btcAccount = root.derivePath("m/84'/0'/0'");
  const ltcRegtestAccount = root.derivePath("m/84'/1'/0'");
  const ethChain = root.derivePath("m/44'/60'/0'/0");
  return {
    /** BIP84's published zpub of the test mnemonic. */
    btcZpub: 'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs',
    btcXprv: btcAccount.extendedKey,
    /** The BIP84 test account of coin type 1 as a tpub (regtest/testnet). */
    ltcTpub: withVersion(ltcRegtestAccount.neuter().extendedKey, 0x043587cf),
    ethXpub: ethChain.neuter().extendedKey,
    ethNode: ethChain,
  };
})();

const testRoot = HDNodeWallet.fromSeed(Mnemonic.fromPhrase(ABANDON).computeSeed());
let nextAccount = 1;

/** Public keys of account `n` of the test mnemonic: a wallet no other test store uses (a wallet belongs to one store). */
export function walletsOfAccount(n: number): Record<string, { xpub: string }> {
  const btc = n === 0 ? keys.btcZpub : testRoot.derivePath(`m/84'/0'/${n}'`).neuter().extendedKey;
  const eth = testRoot.derivePath(`m/44'/60'/${n}'/0`).neuter().extendedKey;
  // USDC lives on Ethereum too: it needs a key of its own (another account), or it would share ETH's addresses.
  const usdc = testRoot.derivePath(`m/44'/60'/${n + 1000}'/0`).neuter().extendedKey;
  return { BTC: { xpub: btc }, ETH: { xpub: eth }, USDC: { xpub: usdc } };
}

/** A valid store body with wallets of a fresh account of the test mnemonic. */
export function storeBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Kobe Tea House',
    payoutCurrency: 'JPY',
    payoutAccount: { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', holderName: 'Kobe Tea House KK' },
    wallets: walletsOfAccount(nextAccount++),
    policy: { speedPolicy: 'medium_speed', paymentTolerancePct: '0.5', expiryMinutes: 15 },
    ...overrides,
  };
}

/** Creates a store, verifies it, and issues a key with `scopes`. */
export async function activeStoreWithKey(
  h: GatewayHarness,
  scopes: string[] = ['checkouts:read', 'checkouts:write'],
  body: Record<string, unknown> = storeBody(),
): Promise<{ storeId: string; key: string }> {
  const created = await h.request('POST', '/v1/stores', { token: OPERATOR_TOKEN, body });
  if (created.status !== 201) throw new Error(`store create ${created.status} ${created.text}`);
  const storeId = created.body.id as string;
  const verified = await h.request('POST', `/v1/stores/${storeId}/verify`, { token: OPERATOR_TOKEN });
  if (verified.status !== 200) throw new Error(`verify ${verified.status} ${verified.text}`);
  const key = await h.request('POST', `/v1/stores/${storeId}/api-keys`, { token: OPERATOR_TOKEN, body: { scopes } });
  if (key.status !== 201) throw new Error(`api key ${key.status} ${key.text}`);
  return { storeId, key: key.body.key as string };
}

/**
 * Row counts of every table, to prove a refused request wrote nothing, and the addresses handed out
 * (`checkouts.addresses`: checkouts with a derivation index). Not `store_wallet_indexes`: it counts the
 * indexes gateways leased (ahead of demand, see `WalletIndexLeases`), which a request may move before it
 * turns out to be a replay or a 409, though the index it took goes back unseen; no address anyone sees
 * depends on it. The checkout tests check that such an index is handed to the next checkout.
 */
export async function rowCounts(h: GatewayHarness): Promise<Record<string, number>> {
  const tables = [
    'stores',
    'api_keys',
    'operator_tokens',
    'quotes',
    'checkouts',
    'payments',
    'idempotency_keys',
    'outbox',
    'ledger_postings',
    'ledger_entries',
    'payouts',
    'webhook_endpoints',
    'webhook_deliveries',
  ] as const;
  // One statement, so a count is a consistent snapshot and costs one round trip.
  const row = await sql<Record<string, string>>`SELECT ${sql.join(
    tables.map((t) => sql`(SELECT count(*) FROM ${sql.table(t)}) AS ${sql.ref(t)}`),
  )}, (SELECT count(derivation_index) FROM checkouts) AS "checkouts.addresses"`.execute(h.runtime.db.kysely);
  const counts: Record<string, number> = {};
  for (const [k, v] of Object.entries(row.rows[0] ?? {})) counts[k] = Number(v);
  return counts;
}
