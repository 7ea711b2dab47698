import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config/config-schema';
import { redactUrl } from './redact-url';

export type { Logger } from 'pino';

const SECRET_KEYS = [
  'authorization',
  'cookie',
  'password',
  'passphrase',
  'token',
  'accessToken',
  'refreshToken',
  'operatorToken',
  'secret',
  'apiKey',
  'privateKey',
  'xprv',
  'mnemonic',
] as const;

/**
 * Paths pino masks. Secrets are matched by key at the top level and up to two levels deep (fast-redact
 * wildcards cover one level each); request/response headers are named explicitly.
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["coinstile-signature"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];

function serializeViaToJson(value: unknown): unknown {
  const toJSON = (value as { toJSON?: unknown } | null | undefined)?.toJSON;
  return typeof toJSON === 'function' ? (toJSON as () => unknown).call(value) : value;
}

export interface CreateLoggerOptions {
  /** Where JSON lines go; default stdout. Tests pass a collecting stream. */
  readonly destination?: DestinationStream;
  /** Bound fields on every line, e.g. `{ service: 'gateway' }`. */
  readonly base?: Record<string, unknown>;
}

/**
 * The process logger: JSON lines, secrets redacted by key, and every URL password masked in the final
 * line whatever field or message it hides in (`http://user:pass@` → `http://user:***@`).
 */
export function createLogger(config: Pick<Config, 'logLevel'>, opts: CreateLoggerOptions = {}): Logger {
  // Synchronous: the last lines before process.exit (shutdown report, fatal start-up error) must not be lost.
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: true });
  const redactingStream: DestinationStream = {
    write(line: string) {
      destination.write(redactUrl(line));
    },
  };
  return pino(
    {
      level: config.logLevel,
      base: { pid: process.pid, ...opts.base },
      redact: { paths: [...REDACTED_PATHS], censor: '***' },
      // pino does not call a nested object's toJSON; a loaded Config's toJSON is its safe view.
      serializers: { config: serializeViaToJson },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    redactingStream,
  );
}
