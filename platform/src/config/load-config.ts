import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { redactUrl } from '../logging/redact-url';
import { ConfigError, type ConfigProblem } from './config-error';
import { type Config, configSchema, SECRET_VARIABLES } from './config-schema';

export interface LoadConfigOptions {
  /** Folder whose `.env` file is read; default the working directory. */
  readonly cwd?: string;
}

/**
 * Validates the environment (plus `<cwd>/.env`, whose values never override real variables) into a typed
 * `Config`, or throws a `ConfigError` with one line per bad variable. The returned object serialises
 * (`JSON.stringify`, pino) as its `safeConfigView`, so logging it cannot leak a secret.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, opts: LoadConfigOptions = {}): Config {
  const dotenvPath = join(opts.cwd ?? process.cwd(), '.env');
  const fromFile = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  const merged: Record<string, string | undefined> = { ...fromFile, ...definedOnly(env) };

  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const problems: ConfigProblem[] = [];
    for (const issue of result.error.issues) {
      const variable = String(issue.path[0] ?? '');
      if (problems.some((p) => p.variable === variable)) continue;
      problems.push({ variable, line: `${variable}: ${issue.message}${echo(variable, merged[variable])}` });
    }
    throw new ConfigError(problems);
  }
  const config = result.data;
  Object.defineProperty(config, 'toJSON', { value: () => safeConfigView(config), enumerable: false });
  return Object.freeze(config);
}

/** The configuration with every secret masked: what may be logged or shown on the dashboard. */
export function safeConfigView(config: Config): Record<keyof Config, unknown> {
  const mask = (url: string | undefined) => (url === undefined ? undefined : redactUrl(url));
  return {
    ...config,
    databaseUrl: mask(config.databaseUrl),
    redisUrl: mask(config.redisUrl),
    btcRpcUrl: mask(config.btcRpcUrl),
    ltcRpcUrl: mask(config.ltcRpcUrl),
    // Hosted EVM endpoints carry their API key in the path (…/v3/<key>), so only the origin is shown.
    ethRpcUrl: config.ethRpcUrl === undefined ? undefined : originOnly(config.ethRpcUrl),
    operatorToken: config.operatorToken === undefined ? undefined : '***',
    fxSourceUrls: Object.fromEntries(Object.entries(config.fxSourceUrls).map(([name, url]) => [name, mask(url)])),
  };
}

function originOnly(url: string): string {
  const parsed = new URL(url);
  const path = parsed.pathname === '/' ? '' : '/***';
  return `${parsed.protocol}//${parsed.host}${path}`;
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function echo(variable: string, raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '') return '';
  if (SECRET_VARIABLES.has(variable)) return '';
  // A malformed URL may not parse as one: mask anything shaped like `:password@` as well.
  return `, got ${JSON.stringify(redactUrl(raw).replace(/:[^:@\s/]*@/g, ':***@'))}`;
}
