import { resolve } from 'node:path';
import { z } from 'zod';

/** The FX rate sources Coinstile knows; `static` is the labelled demo source. */
export const FX_SOURCE_NAMES = ['static', 'coinbase', 'kraken', 'bitstamp', 'binance', 'coingecko', 'ecb'] as const;
export type FxSourceName = (typeof FX_SOURCE_NAMES)[number];

export const CHAIN_NETWORKS = ['mainnet', 'testnet', 'regtest'] as const;
export type ChainNetwork = (typeof CHAIN_NETWORKS)[number];

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One `FX_STATIC_RATES` entry: 1 `base` = `rate` `quote`, the rate a positive decimal string. */
export interface FxStaticRate {
  readonly base: string;
  readonly quote: string;
  readonly rate: string;
}

/** Coinstile's validated configuration. Unset optional services are `undefined` (the embedded default). */
export interface Config {
  readonly nodeEnv: NodeEnv;
  readonly logLevel: LogLevel;
  readonly port: number;
  /** Base URL shoppers and stores reach, without a trailing slash. */
  readonly publicUrl: string;
  /** `undefined` → embedded PGlite in `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** `undefined` → embedded redis-server with its data in `dataDir`. */
  readonly redisUrl: string | undefined;
  /** Absolute path of the embedded data folder. */
  readonly dataDir: string;
  /** `undefined` → generated and printed once on first start. */
  readonly operatorToken: string | undefined;
  readonly btcRpcUrl: string | undefined;
  readonly btcNetwork: ChainNetwork;
  readonly ltcRpcUrl: string | undefined;
  readonly ltcNetwork: ChainNetwork;
  readonly ethRpcUrl: string | undefined;
  readonly ethChainId: number | undefined;
  readonly usdcContract: string | undefined;
  readonly fxSources: readonly FxSourceName[];
  readonly fxStaticRates: readonly FxStaticRate[];
  /** Base URLs replacing an exchange's public API address (a mirror or proxy), by source name. */
  readonly fxSourceUrls: Readonly<Partial<Record<FxSourceName, string>>>;
  /** Lets webhooks reach loopback and private addresses: development and tests only. */
  readonly webhookAllowPrivate: boolean;
  readonly shutdownTimeoutMs: number;
  /** Wrong voucher PINs allowed per client IP, and per checkout or POS store, in each window (brute-force limits). */
  readonly pinAttempts: { readonly perIp: number; readonly perSubject: number; readonly windowMs: number };
}

/** Variables whose value is never echoed in an error line. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set(['COINSTILE_OPERATOR_TOKEN']);

/**
 * Each variable is parsed on its own with exactly one message on failure, so a bad environment yields one
 * readable line per variable. Empty strings count as unset (`PORT=` in a `.env` file).
 */
type Parser<T> = (raw: string) => { ok: true; value: T } | { ok: false; message: string };

function variable<T>(parse: Parser<T>) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T | undefined => {
      if (raw === undefined || raw.trim() === '') return undefined;
      const result = parse(raw.trim());
      if (result.ok) return result.value;
      ctx.addIssue({ code: 'custom', message: result.message });
      return z.NEVER;
    });
}

const ok = <T>(value: T) => ({ ok: true as const, value });
const bad = (message: string) => ({ ok: false as const, message });

function integer(min: number, max: number): Parser<number> {
  const message = `must be an integer from ${min} to ${max}`;
  return (raw) => {
    if (!/^\d+$/.test(raw)) return bad(message);
    const n = Number(raw);
    return Number.isSafeInteger(n) && n >= min && n <= max ? ok(n) : bad(message);
  };
}

function oneOf<const T extends readonly string[]>(values: T): Parser<T[number]> {
  return (raw) =>
    (values as readonly string[]).includes(raw) ? ok(raw as T[number]) : bad(`must be one of ${values.join(', ')}`);
}

function url(protocols: readonly string[], what: string, opts: { credentials?: boolean; port?: boolean } = {}): Parser<string> {
  return (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return bad(`must be ${what}`);
    }
    if (!protocols.includes(parsed.protocol) || parsed.hostname === '') return bad(`must be ${what}`);
    if (opts.credentials && (parsed.username === '' || parsed.password === '')) return bad(`must be ${what}`);
    if (opts.port && parsed.port === '') return bad(`must be ${what}`);
    return ok(raw);
  };
}

const publicUrl: Parser<string> = (raw) => {
  const message = 'must be an http:// or https:// URL without query or fragment, e.g. https://pay.example.com';
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return bad(message);
  }
  if (!['http:', 'https:'].includes(parsed.protocol) || parsed.search !== '' || parsed.hash !== '') return bad(message);
  return ok(raw.replace(/\/+$/, ''));
};

const operatorToken: Parser<string> = (raw) =>
  raw.length >= 16 && !/\s/.test(raw) ? ok(raw) : bad('must be at least 16 characters without whitespace');

const evmAddress: Parser<string> = (raw) =>
  /^0x[0-9a-fA-F]{40}$/.test(raw) ? ok(raw) : bad('must be a 0x-prefixed 20-byte hex address (0x + 40 hex digits)');

const boolean: Parser<boolean> = (raw) =>
  raw === 'true' ? ok(true) : raw === 'false' ? ok(false) : bad('must be true or false');

const fxSources: Parser<FxSourceName[]> = (raw) => {
  const names = raw.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !(FX_SOURCE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    return bad(`must be a comma list of ${FX_SOURCE_NAMES.join(', ')} (unknown: ${unknown.map((u) => JSON.stringify(u)).join(', ')})`);
  }
  if (new Set(names).size !== names.length) return bad('lists a source more than once');
  return ok(names as FxSourceName[]);
};

const RATE_ENTRY = /^([A-Z][A-Z0-9]{1,9})-([A-Z][A-Z0-9]{1,9})=(\d+(?:\.\d+)?)$/;
const fxStaticRates: Parser<FxStaticRate[]> = (raw) => {
  const message = 'must be a comma list of BASE-QUOTE=rate with positive decimal rates, e.g. BTC-USD=60000,LTC-USD=80';
  const rates: FxStaticRate[] = [];
  for (const entry of raw.split(',').map((s) => s.trim())) {
    const m = RATE_ENTRY.exec(entry);
    if (!m || /^[0.]+$/.test(m[3]!)) return bad(message);
    const [, base, quote, rate] = m as unknown as [string, string, string, string];
    if (rates.some((r) => r.base === base && r.quote === quote)) return bad(`gives ${base}-${quote} more than once`);
    rates.push({ base, quote, rate });
  }
  return ok(rates);
};

const fxSourceUrls: Parser<Partial<Record<FxSourceName, string>>> = (raw) => {
  const message = `must be a comma list of source=URL with http(s) URLs, e.g. coinbase=https://proxy.example/coinbase (sources: ${FX_SOURCE_NAMES.filter((n) => n !== 'static').join(', ')})`;
  const urls: Partial<Record<FxSourceName, string>> = {};
  for (const entry of raw.split(',').map((s) => s.trim())) {
    const at = entry.indexOf('=');
    const name = entry.slice(0, at) as FxSourceName;
    const value = entry.slice(at + 1);
    if (at <= 0 || name === 'static' || !(FX_SOURCE_NAMES as readonly string[]).includes(name)) return bad(message);
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return bad(message);
    }
    if (!['http:', 'https:'].includes(parsed.protocol) || parsed.hostname === '') return bad(message);
    if (urls[name] !== undefined) return bad(`gives ${name} more than once`);
    urls[name] = value.replace(/\/+$/, '');
  }
  return ok(urls);
};

const RPC_URL = 'an http:// URL with credentials, http://user:pass@host:port';

/** The environment as Coinstile reads it; `.transform` at the end derives defaults that depend on each other. */
export const configSchema = z
  .object({
    NODE_ENV: variable(oneOf(NODE_ENVS)),
    LOG_LEVEL: variable(oneOf(LOG_LEVELS)),
    PORT: variable(integer(1, 65535)),
    PUBLIC_URL: variable(publicUrl),
    DATABASE_URL: variable(url(['postgres:', 'postgresql:'], 'a postgres:// or postgresql:// URL')),
    REDIS_URL: variable(url(['redis:', 'rediss:'], 'a redis:// or rediss:// URL')),
    COINSTILE_DATA_DIR: variable((raw) => ok(raw)),
    COINSTILE_OPERATOR_TOKEN: variable(operatorToken),
    BTC_RPC_URL: variable(url(['http:', 'https:'], RPC_URL, { credentials: true, port: true })),
    BTC_NETWORK: variable(oneOf(CHAIN_NETWORKS)),
    LTC_RPC_URL: variable(url(['http:', 'https:'], RPC_URL, { credentials: true, port: true })),
    LTC_NETWORK: variable(oneOf(CHAIN_NETWORKS)),
    ETH_RPC_URL: variable(url(['http:', 'https:', 'ws:', 'wss:'], 'an http(s):// or ws(s):// JSON-RPC URL')),
    ETH_CHAIN_ID: variable(integer(1, Number.MAX_SAFE_INTEGER)),
    USDC_CONTRACT: variable(evmAddress),
    FX_SOURCES: variable(fxSources),
    FX_STATIC_RATES: variable(fxStaticRates),
    FX_SOURCE_URLS: variable(fxSourceUrls),
    WEBHOOK_ALLOW_PRIVATE: variable(boolean),
    SHUTDOWN_TIMEOUT_MS: variable(integer(100, 600_000)),
    PIN_ATTEMPTS_PER_IP: variable(integer(1, 10_000)),
    PIN_ATTEMPTS_PER_SUBJECT: variable(integer(1, 10_000)),
    PIN_ATTEMPT_WINDOW_S: variable(integer(1, 86_400)),
  })
  .superRefine((env, ctx) => {
    // Demo rates and webhooks into private networks are conveniences that must not reach production.
    if (env.NODE_ENV !== 'production') return;
    if (env.FX_SOURCES === undefined) {
      ctx.addIssue({ code: 'custom', path: ['FX_SOURCES'], message: `must be set when NODE_ENV=production (comma list of ${FX_SOURCE_NAMES.join(', ')})` });
    }
    if (env.WEBHOOK_ALLOW_PRIVATE === true) {
      ctx.addIssue({ code: 'custom', path: ['WEBHOOK_ALLOW_PRIVATE'], message: 'must not be true when NODE_ENV=production' });
    }
  })
  .transform((env): Config => {
    const port = env.PORT ?? 8080;
    return {
      nodeEnv: env.NODE_ENV ?? 'development',
      logLevel: env.LOG_LEVEL ?? 'info',
      port,
      publicUrl: env.PUBLIC_URL ?? `http://localhost:${port}`,
      databaseUrl: env.DATABASE_URL,
      redisUrl: env.REDIS_URL,
      dataDir: resolve(env.COINSTILE_DATA_DIR ?? './.coinstile'),
      operatorToken: env.COINSTILE_OPERATOR_TOKEN,
      btcRpcUrl: env.BTC_RPC_URL,
      btcNetwork: env.BTC_NETWORK ?? 'mainnet',
      ltcRpcUrl: env.LTC_RPC_URL,
      ltcNetwork: env.LTC_NETWORK ?? 'mainnet',
      ethRpcUrl: env.ETH_RPC_URL,
      ethChainId: env.ETH_CHAIN_ID,
      usdcContract: env.USDC_CONTRACT,
      fxSources: env.FX_SOURCES ?? ['static'],
      fxStaticRates: env.FX_STATIC_RATES ?? [],
      fxSourceUrls: env.FX_SOURCE_URLS ?? {},
      webhookAllowPrivate: env.WEBHOOK_ALLOW_PRIVATE ?? false,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS ?? 25_000,
      pinAttempts: {
        perIp: env.PIN_ATTEMPTS_PER_IP ?? 20,
        perSubject: env.PIN_ATTEMPTS_PER_SUBJECT ?? 10,
        windowMs: (env.PIN_ATTEMPT_WINDOW_S ?? 900) * 1000,
      },
    };
  });
