import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, createLogger, loadConfig, safeConfigView } from '../src';

describe('loadConfig', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'coinstile-config-'));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  const load = (env: Record<string, string>) => loadConfig(env, { cwd });
  const problemLines = (env: Record<string, string>): string[] => {
    try {
      load(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).message.split('\n');
    }
    throw new Error('expected a ConfigError');
  };

  it('applies the documented defaults to an empty environment', () => {
    const config = load({});
    expect(config).toEqual({
      nodeEnv: 'development',
      logLevel: 'info',
      port: 8080,
      publicUrl: 'http://localhost:8080',
      databaseUrl: undefined,
      redisUrl: undefined,
      dataDir: resolve('./.coinstile'),
      operatorToken: undefined,
      btcRpcUrl: undefined,
      btcNetwork: 'mainnet',
      ltcRpcUrl: undefined,
      ltcNetwork: 'mainnet',
      ethRpcUrl: undefined,
      ethChainId: undefined,
      usdcContract: undefined,
      fxSources: ['static'],
      fxStaticRates: [],
      fxSourceUrls: {},
      webhookAllowPrivate: false,
      shutdownTimeoutMs: 25_000,
      pinAttempts: { perIp: 20, perSubject: 10, windowMs: 900_000 },
    });
  });

  it('parses every variable into typed camelCase fields', () => {
    const config = load({
      NODE_ENV: 'production',
      LOG_LEVEL: 'debug',
      PORT: '9000',
      PUBLIC_URL: 'https://pay.example.com/',
      DATABASE_URL: 'postgres://app:pw@db:5432/coinstile',
      REDIS_URL: 'redis://:pw@cache:6379',
      COINSTILE_DATA_DIR: '/var/lib/coinstile',
      COINSTILE_OPERATOR_TOKEN: 'op_0123456789abcdef',
      BTC_RPC_URL: 'http://u:p@btc:8332',
      BTC_NETWORK: 'testnet',
      LTC_RPC_URL: 'http://u:p@ltc:9332',
      LTC_NETWORK: 'regtest',
      ETH_RPC_URL: 'wss://eth.example.com/v3/key',
      ETH_CHAIN_ID: '1',
      USDC_CONTRACT: '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48',
      FX_SOURCES: 'coinbase, kraken,ecb',
      FX_STATIC_RATES: 'BTC-USD=60000,LTC-USD=80.5',
      WEBHOOK_ALLOW_PRIVATE: 'false',
      SHUTDOWN_TIMEOUT_MS: '10000',
      PIN_ATTEMPTS_PER_IP: '50',
      PIN_ATTEMPTS_PER_SUBJECT: '5',
      PIN_ATTEMPT_WINDOW_S: '600',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      logLevel: 'debug',
      port: 9000,
      publicUrl: 'https://pay.example.com',
      dataDir: '/var/lib/coinstile',
      btcNetwork: 'testnet',
      ltcNetwork: 'regtest',
      ethChainId: 1,
      fxSources: ['coinbase', 'kraken', 'ecb'],
      fxStaticRates: [
        { base: 'BTC', quote: 'USD', rate: '60000' },
        { base: 'LTC', quote: 'USD', rate: '80.5' },
      ],
      webhookAllowPrivate: false,
      shutdownTimeoutMs: 10_000,
      pinAttempts: { perIp: 50, perSubject: 5, windowMs: 600_000 },
    });
  });

  it('derives PUBLIC_URL from PORT', () => {
    expect(load({ PORT: '3000' }).publicUrl).toBe('http://localhost:3000');
  });

  it('treats empty values as unset', () => {
    expect(load({ PORT: '', REDIS_URL: '  ' })).toMatchObject({ port: 8080, redisUrl: undefined });
  });

  it.each([
    ['PORT', 'abc', 'PORT: must be an integer from 1 to 65535, got "abc"'],
    ['PORT', '0', 'PORT: must be an integer from 1 to 65535, got "0"'],
    ['PORT', '65536', 'PORT: must be an integer from 1 to 65535, got "65536"'],
    ['PUBLIC_URL', 'pay.example.com', 'PUBLIC_URL: must be an http:// or https:// URL without query or fragment, e.g. https://pay.example.com, got "pay.example.com"'],
    ['DATABASE_URL', 'mysql://u:secret@h/db', 'DATABASE_URL: must be a postgres:// or postgresql:// URL, got "mysql://u:***@h/db"'],
    ['REDIS_URL', 'localhost:6379', 'REDIS_URL: must be a redis:// or rediss:// URL, got "localhost:6379"'],
    ['COINSTILE_OPERATOR_TOKEN', 'short', 'COINSTILE_OPERATOR_TOKEN: must be at least 16 characters without whitespace'],
    ['BTC_RPC_URL', 'http://btc:8332', 'BTC_RPC_URL: must be an http:// URL with credentials, http://user:pass@host:port, got "http://btc:8332"'],
    ['LTC_RPC_URL', 'http://u:secret@ltc', 'LTC_RPC_URL: must be an http:// URL with credentials, http://user:pass@host:port, got "http://u:***@ltc"'],
    ['BTC_NETWORK', 'signet', 'BTC_NETWORK: must be one of mainnet, testnet, regtest, got "signet"'],
    ['LTC_NETWORK', 'main', 'LTC_NETWORK: must be one of mainnet, testnet, regtest, got "main"'],
    ['ETH_RPC_URL', 'ftp://x', 'ETH_RPC_URL: must be an http(s):// or ws(s):// JSON-RPC URL, got "ftp://x"'],
    ['ETH_CHAIN_ID', '-1', `ETH_CHAIN_ID: must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}, got "-1"`],
    ['USDC_CONTRACT', '0x123', 'USDC_CONTRACT: must be a 0x-prefixed 20-byte hex address (0x + 40 hex digits), got "0x123"'],
    ['FX_SOURCES', 'static,bloomberg', 'FX_SOURCES: must be a comma list of static, coinbase, kraken, bitstamp, binance, coingecko, ecb (unknown: "bloomberg"), got "static,bloomberg"'],
    ['FX_SOURCES', 'kraken,kraken', 'FX_SOURCES: lists a source more than once, got "kraken,kraken"'],
    ['FX_STATIC_RATES', 'BTC-USD=abc', 'FX_STATIC_RATES: must be a comma list of BASE-QUOTE=rate with positive decimal rates, e.g. BTC-USD=60000,LTC-USD=80, got "BTC-USD=abc"'],
    ['FX_STATIC_RATES', 'BTC-USD=0', 'FX_STATIC_RATES: must be a comma list of BASE-QUOTE=rate with positive decimal rates, e.g. BTC-USD=60000,LTC-USD=80, got "BTC-USD=0"'],
    ['FX_STATIC_RATES', 'BTC-USD=1,BTC-USD=2', 'FX_STATIC_RATES: gives BTC-USD more than once, got "BTC-USD=1,BTC-USD=2"'],
    ['WEBHOOK_ALLOW_PRIVATE', 'yes', 'WEBHOOK_ALLOW_PRIVATE: must be true or false, got "yes"'],
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
    ['NODE_ENV', 'staging', 'NODE_ENV: must be one of development, production, test, got "staging"'],
    ['SHUTDOWN_TIMEOUT_MS', '5s', 'SHUTDOWN_TIMEOUT_MS: must be an integer from 100 to 600000, got "5s"'],
    ['PIN_ATTEMPTS_PER_IP', '0', 'PIN_ATTEMPTS_PER_IP: must be an integer from 1 to 10000, got "0"'],
    ['PIN_ATTEMPTS_PER_SUBJECT', 'ten', 'PIN_ATTEMPTS_PER_SUBJECT: must be an integer from 1 to 10000, got "ten"'],
    ['PIN_ATTEMPT_WINDOW_S', '86401', 'PIN_ATTEMPT_WINDOW_S: must be an integer from 1 to 86400, got "86401"'],
  ])('%s=%j gives exactly its own line', (variable, value, line) => {
    expect(problemLines({ [variable]: value })).toEqual([line]);
  });

  it('reports every bad variable at once, one line each, without echoing secrets', () => {
    const lines = problemLines({ PORT: 'abc', BTC_NETWORK: 'x', COINSTILE_OPERATOR_TOKEN: 'hunter2 hunter2', REDIS_URL: 'nope://:topsecret@h' });
    expect(lines).toHaveLength(4);
    expect(lines.map((l) => l.split(':')[0]).sort()).toEqual(['BTC_NETWORK', 'COINSTILE_OPERATOR_TOKEN', 'PORT', 'REDIS_URL']);
    expect(lines.join('\n')).not.toMatch(/hunter2|topsecret/);
  });

  it('refuses demo conveniences in production', () => {
    expect(problemLines({ NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE: 'true' })).toEqual([
      'FX_SOURCES: must be set when NODE_ENV=production (comma list of static, coinbase, kraken, bitstamp, binance, coingecko, ecb)',
      'WEBHOOK_ALLOW_PRIVATE: must not be true when NODE_ENV=production, got "true"',
    ]);
  });

  it('reads .env from the working directory, real variables winning', () => {
    writeFileSync(join(cwd, '.env'), 'PORT=7000\nLTC_NETWORK=regtest\n# comment\nFX_STATIC_RATES="BTC-USD=1"\n');
    const config = load({ PORT: '7001' });
    expect(config.port).toBe(7001);
    expect(config.ltcNetwork).toBe('regtest');
    expect(config.fxStaticRates).toEqual([{ base: 'BTC', quote: 'USD', rate: '1' }]);
  });

  it('reports a bad value that came from .env like any other', () => {
    writeFileSync(join(cwd, '.env'), 'PORT=http\n');
    expect(problemLines({})).toEqual(['PORT: must be an integer from 1 to 65535, got "http"']);
  });

  it('serialises and logs without secrets', () => {
    const secrets = ['dbsecret', 'redissecret', 'btcsecret', 'ltcsecret', 'infurakey', 'op_token_0123456789'];
    const config = load({
      DATABASE_URL: 'postgres://app:dbsecret@db/coinstile',
      REDIS_URL: 'redis://:redissecret@cache:6379',
      BTC_RPC_URL: 'http://u:btcsecret@btc:8332',
      LTC_RPC_URL: 'http://u:ltcsecret@ltc:9332',
      ETH_RPC_URL: 'https://mainnet.infura.io/v3/infurakey',
      COINSTILE_OPERATOR_TOKEN: 'op_token_0123456789',
    });
    // The real values stay usable by the program.
    expect(config.databaseUrl).toBe('postgres://app:dbsecret@db/coinstile');
    const lines: string[] = [];
    const logger = createLogger({ logLevel: 'info' }, { destination: { write: (l: string) => void lines.push(l) } });
    logger.info({ config }, 'configuration');
    const serialised = [JSON.stringify(config), JSON.stringify(safeConfigView(config)), ...lines].join('\n');
    for (const secret of secrets) expect(serialised).not.toContain(secret);
    expect(JSON.parse(JSON.stringify(config))).toMatchObject({
      databaseUrl: 'postgres://app:***@db/coinstile',
      redisUrl: 'redis://:***@cache:6379',
      ethRpcUrl: 'https://mainnet.infura.io/***',
      operatorToken: '***',
    });
  });
});

describe('FX_SOURCE_URLS', () => {
  it('maps exchange sources to replacement base URLs, masking credentials when logged', () => {
    const config = loadConfig({ FX_SOURCE_URLS: 'coinbase=https://user:secret@fx-proxy.example/cb/,kraken=http://127.0.0.1:9000' }, { cwd: '/nonexistent' });
    expect(config.fxSourceUrls).toEqual({ coinbase: 'https://user:secret@fx-proxy.example/cb', kraken: 'http://127.0.0.1:9000' });
    expect(JSON.stringify(config)).not.toContain('secret');
  });

  it.each(['static=http://x', 'nasdaq=http://x', 'coinbase=ftp://x', 'coinbase', 'coinbase=http://a,coinbase=http://b'])('refuses %s with one line', (raw) => {
    expect(() => loadConfig({ FX_SOURCE_URLS: raw }, { cwd: '/nonexistent' })).toThrow(/^FX_SOURCE_URLS: /);
  });
});
