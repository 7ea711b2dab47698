import { readFile } from 'node:fs/promises';
import { ReceiptVerificationError, verifyReceipt } from '@coinstile/merchant-payouts';

/** Exit codes: the receipt is valid, it was rejected, or it could not even be checked (usage, I/O). */
export const VERIFY_RECEIPT_EXIT = { valid: 0, rejected: 1, unusable: 2 } as const;

export interface VerifyReceiptCliOptions {
  /** A JWKS file, or the `http(s)://…/.well-known/jwks.json` URL of the Coinstile that issued the receipt. */
  readonly jwks: string;
  /** The verifying store's id: a receipt of another store is rejected. */
  readonly store?: string;
  /** Judge key retirement at this ISO 8601 instant instead of now. */
  readonly at?: string;
}

/** Where the command reads and writes (the process's streams, or a test's). */
export interface VerifyReceiptIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readStdin(): Promise<string>;
}

class VerifyReceiptUsageError extends Error {
  override readonly name = 'VerifyReceiptUsageError';
}

const JWKS_FETCH_TIMEOUT_MS = 10_000;

/**
 * `coinstile verify-receipt <file|-> --jwks <file|url> [--store st_…] [--at <iso>]`: verifies a receipt
 * offline (or with the key set fetched once) and prints its claims as JSON. The receipt is the compact JWS,
 * or the JSON of `GET /v1/checkouts/{id}/receipt` (its `jws` member). Returns the exit code.
 */
export async function runVerifyReceipt(file: string, options: VerifyReceiptCliOptions, io: VerifyReceiptIo): Promise<number> {
  try {
    const now = options.at === undefined ? new Date() : parseInstant(options.at);
    const receipt = receiptText(file === '-' ? await io.readStdin() : await readText(file, 'receipt'));
    const jwks = await loadJwks(options.jwks);
    const claims = verifyReceipt(receipt, jwks, { now, ...(options.store === undefined ? {} : { expectedStoreId: options.store }) });
    io.stdout.write(`${JSON.stringify({ valid: true, claims }, null, 2)}\n`);
    return VERIFY_RECEIPT_EXIT.valid;
  } catch (err) {
    if (err instanceof ReceiptVerificationError) {
      io.stderr.write(`coinstile verify-receipt: receipt rejected (${err.reason}): ${err.message}\n`);
      return VERIFY_RECEIPT_EXIT.rejected;
    }
    if (err instanceof VerifyReceiptUsageError) {
      io.stderr.write(`coinstile verify-receipt: ${err.message}\n`);
      return VERIFY_RECEIPT_EXIT.unusable;
    }
    throw err;
  }
}

/** The commander action: runs with the process's streams and sets the exit code. */
export async function verifyReceiptCommand(file: string, options: VerifyReceiptCliOptions): Promise<void> {
  process.exitCode = await runVerifyReceipt(file, options, {
    stdout: process.stdout,
    stderr: process.stderr,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    },
  });
}

function parseInstant(text: string): Date {
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new VerifyReceiptUsageError(`--at must be an ISO 8601 instant, got ${JSON.stringify(text)}`);
  return at;
}

/** The compact JWS itself, or the `jws` member of a receipt as the API returns it. */
function receiptText(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new VerifyReceiptUsageError('the receipt file starts with { but is not JSON');
  }
  const jws = (parsed as { jws?: unknown }).jws;
  if (typeof jws !== 'string') throw new VerifyReceiptUsageError('the receipt JSON has no "jws" string');
  return jws;
}

async function loadJwks(source: string): Promise<unknown> {
  const text = /^https?:\/\//.test(source) ? await fetchText(source) : await readText(source, 'key set');
  try {
    return JSON.parse(text);
  } catch {
    throw new VerifyReceiptUsageError(`the key set at ${source} is not JSON`);
  }
}

async function fetchText(url: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
  } catch (err) {
    const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    throw new VerifyReceiptUsageError(`could not fetch the key set from ${url}: ${cause}`);
  }
  if (!response.ok) throw new VerifyReceiptUsageError(`could not fetch the key set from ${url}: HTTP ${response.status}`);
  return response.text();
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new VerifyReceiptUsageError(`cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
