import type { Config } from '@coinstile/platform';
import { CoinstileApiError, CoinstileUnreachableError } from '../demo/coinstile-api-client';
import { DemoSetupError } from '../demo/demo-store';
import { runDemo } from '../demo/run-demo';
import { EXIT_BAD_CONFIG, loadConfigOrExit } from './load-config-or-exit';

/** What commander hands over: every option as given on the command line (strings), or its default. */
export interface DemoCommandOptions {
  /** Base URL of the running Coinstile; default `PUBLIC_URL`. */
  readonly url?: string;
  /** Operator token; default `COINSTILE_OPERATOR_TOKEN`. */
  readonly token?: string;
  /** Checkouts to create; default 20. */
  readonly count?: string;
  /** Seconds between two checkouts; default 3. */
  readonly interval?: string;
  /** Seconds between two blocks on each chain; default 5. */
  readonly blockInterval?: string;
}

/** Exit code when the demo cannot run against this Coinstile (no chain, store refused, Coinstile down). */
const EXIT_UNAVAILABLE = 69;

/** A bad option or a missing setting: the operator must fix the command line or the environment. */
export class DemoUsageError extends Error {
  override readonly name = 'DemoUsageError';
}

/** The demo's settings from the command line, falling back to the configuration (`PUBLIC_URL`, `COINSTILE_OPERATOR_TOKEN`). */
export interface DemoSettings {
  readonly baseUrl: string;
  readonly operatorToken: string;
  readonly count: number;
  readonly intervalMs: number;
  readonly blockIntervalMs: number;
}

export function resolveDemoSettings(opts: DemoCommandOptions, config: Config): DemoSettings {
  const count = parseNumberOption('--count', opts.count ?? '20', { min: 1, max: 10_000, integer: true });
  const intervalMs = parseNumberOption('--interval', opts.interval ?? '3', { min: 0, max: 3_600 }) * 1000;
  const blockIntervalMs = parseNumberOption('--block-interval', opts.blockInterval ?? '5', { min: 0.2, max: 3_600 }) * 1000;
  const baseUrl = (opts.url ?? config.publicUrl).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(baseUrl)) throw new DemoUsageError(`--url must be an http:// or https:// URL, got ${JSON.stringify(baseUrl)}`);
  const operatorToken = opts.token ?? config.operatorToken;
  if (operatorToken === undefined) {
    throw new DemoUsageError('the operator token is needed: pass --token or set COINSTILE_OPERATOR_TOKEN (Coinstile printed it on its first start)');
  }
  return { baseUrl, operatorToken, count, intervalMs, blockIntervalMs };
}

/**
 * `coinstile demo`: pays a stream of demo checkouts on the regtest chains of a running Coinstile (see
 * `runDemo`). Ctrl-C stops it early with a summary.
 */
export async function demoCommand(opts: DemoCommandOptions): Promise<void> {
  const config = loadConfigOrExit();
  let settings: DemoSettings;
  try {
    settings = resolveDemoSettings(opts, config);
  } catch (err) {
    if (!(err instanceof DemoUsageError)) throw err;
    process.stderr.write(`coinstile demo: ${err.message}\n`);
    process.exit(EXIT_BAD_CONFIG);
  }
  const abort = new AbortController();
  const onSignal = () => {
    process.stdout.write('\nStopping the demo…\n');
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await runDemo({ ...settings, config, out: (line) => process.stdout.write(`${line}\n`), signal: abort.signal });
  } catch (err) {
    if (err instanceof DemoSetupError || err instanceof CoinstileUnreachableError || err instanceof CoinstileApiError) {
      process.stderr.write(`coinstile demo: ${err.message}\n`);
      process.exit(err instanceof CoinstileApiError && (err.status === 401 || err.status === 403) ? EXIT_BAD_CONFIG : EXIT_UNAVAILABLE);
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

function parseNumberOption(name: string, raw: string, range: { min: number; max: number; integer?: boolean }): number {
  const value = Number(raw);
  const ok = /^\d+(\.\d+)?$/.test(raw) && value >= range.min && value <= range.max && (!range.integer || Number.isInteger(value));
  if (!ok) throw new DemoUsageError(`${name} must be ${range.integer ? 'an integer' : 'a number'} from ${range.min} to ${range.max}, got ${JSON.stringify(raw)}`);
  return value;
}
