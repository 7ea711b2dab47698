import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { formatAmount, type PayoutBatchId, type PayoutId, type PayoutInstruction, type PayoutProvider, type PayoutSubmission } from '@coinstile/core';
import { PayoutProviderUnavailableError } from './provider-errors';

export interface HttpPayoutProviderOptions {
  /** Base URL of the payout API, e.g. `https://payouts.example.com/v1`. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set. */
  readonly apiToken?: string;
  /** Per request; default 10 s. */
  readonly timeoutMs?: number;
  /** Tries per payout on 5xx, 408, 429, timeouts and network errors; default 4. */
  readonly maxAttempts?: number;
  /** First backoff step; default 250 ms, doubling, capped at `maxBackoffMs` (default 5 s), full jitter. */
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Payouts posted at once; default 8. */
  readonly concurrency?: number;
  /** `http:` is refused unless set (local development and tests). */
  readonly allowInsecureHttp?: boolean;
  /** Name recorded with each payout; default `http_api`. */
  readonly name?: string;
}

/** The provider's answer about one payout, as this adapter expects the API to send it. */
interface ApiPayout {
  readonly id?: unknown;
  readonly status?: unknown;
  readonly failureReason?: unknown;
}

interface ApiResponse {
  readonly status: number;
  readonly body: ApiPayout | null;
  readonly text: string;
}

/** Why one request did not get a usable answer (retried). */
class TransientHttpError extends Error {}

/**
 * A generic JSON payout API behind the `PayoutProvider` port. The contract it speaks:
 *
 * - `POST {baseUrl}/payouts` with `Idempotency-Key: <payout id>` and body
 *   `{ id, batchId, amount: "12.34", currency, account: { iban, bic, holderName }, reference }`
 *   → `2xx { id, status: "pending" | "processing" | "paid" | "failed", failureReason? }`;
 * - `409` (a request with this key was made before): the earlier request stands, so it counts as
 *   success; its payout object is used when the body carries one, else it is `submitted`;
 * - other `4xx` (400, 422, …): the API refused the payout for good → `failed` with its message;
 * - `5xx`, `408`, `429`, a timeout or a network error: retried with exponential backoff and full jitter,
 *   with the same idempotency key, so a request that did reach the API before the answer was lost is
 *   not paid twice; after `maxAttempts` the batch is reported unavailable (submitted again later);
 * - `GET {baseUrl}/payouts/{id}` → the same object, or 404 when unknown.
 */
export class HttpPayoutProvider implements PayoutProvider {
  readonly name: string;
  readonly #base: URL;

  constructor(private readonly options: HttpPayoutProviderOptions) {
    this.name = options.name ?? 'http_api';
    this.#base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    if (this.#base.protocol !== 'https:' && !(this.#base.protocol === 'http:' && options.allowInsecureHttp === true)) {
      throw new RangeError(`Payout API URL must be https: (got ${this.#base.protocol})`);
    }
  }

  async submit(batchId: PayoutBatchId, payouts: readonly PayoutInstruction[]): Promise<PayoutSubmission[]> {
    return this.#pool(payouts, async (p) => {
      const body = {
        id: p.payoutId,
        batchId,
        amount: formatAmount(p.amountMinor, p.currency),
        currency: p.currency,
        account: { iban: p.account.iban, bic: p.account.bic ?? null, holderName: p.account.holderName },
        reference: p.reference,
      };
      const res = await this.#withRetries(p.payoutId, () => this.#request('POST', 'payouts', body, p.payoutId));
      if (res.status === 409) return toSubmission(this.name, p.payoutId, res.body, 'submitted');
      if (res.status >= 200 && res.status < 300) return toSubmission(this.name, p.payoutId, res.body, null);
      return { payoutId: p.payoutId, status: 'failed', providerReference: p.payoutId, failureReason: `HTTP ${res.status}: ${failureText(res)}` };
    });
  }

  async status(payoutIds: readonly PayoutId[]): Promise<PayoutSubmission[]> {
    const answers = await this.#pool(payoutIds, async (id) => {
      const res = await this.#withRetries(id, () => this.#request('GET', `payouts/${encodeURIComponent(id)}`, undefined, undefined));
      if (res.status === 404) return null;
      if (res.status >= 200 && res.status < 300) return toSubmission(this.name, id, res.body, null);
      throw new PayoutProviderUnavailableError(this.name, `Status of ${id}: HTTP ${res.status}`);
    });
    return answers.filter((a): a is PayoutSubmission => a !== null);
  }

  async #pool<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array<R>(items.length);
    let next = 0;
    let failure: unknown;
    const runner = async () => {
      while (failure === undefined && next < items.length) {
        const index = next++;
        try {
          results[index] = await work(items[index] as T);
        } catch (err) {
          failure ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 8, items.length) }, runner));
    if (failure !== undefined) throw failure;
    return results;
  }

  async #withRetries(subject: string, attempt: () => Promise<ApiResponse>): Promise<ApiResponse> {
    const maxAttempts = this.options.maxAttempts ?? 4;
    let lastError = '';
    for (let n = 1; n <= maxAttempts; n++) {
      try {
        const res = await attempt();
        if (res.status < 500 && res.status !== 408 && res.status !== 429) return res;
        lastError = `HTTP ${res.status}`;
      } catch (err) {
        if (!(err instanceof TransientHttpError)) throw err;
        lastError = err.message;
      }
      if (n < maxAttempts) {
        const ceiling = Math.min(this.options.maxBackoffMs ?? 5000, (this.options.baseBackoffMs ?? 250) * 2 ** (n - 1));
        await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
      }
    }
    throw new PayoutProviderUnavailableError(this.name, `${subject}: no usable answer after ${maxAttempts} attempts (${lastError})`);
  }

  #request(method: 'GET' | 'POST', path: string, body: unknown, idempotencyKey: string | undefined): Promise<ApiResponse> {
    const url = new URL(path, this.#base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    if (this.options.apiToken !== undefined) headers.authorization = `Bearer ${this.options.apiToken}`;
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<ApiResponse>((resolve, reject) => {
      // A fresh connection per request (agent: false): a stray second answer on a reused socket can
      // never be taken for the answer to the next request.
      const req = send(url, { method, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 64 * 1024) chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: ApiPayout | null = null;
          try {
            const value: unknown = JSON.parse(text);
            if (typeof value === 'object' && value !== null && !Array.isArray(value)) parsed = value as ApiPayout;
          } catch {
            parsed = null;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(new TransientHttpError(`response error: ${err.message}`));
        });
      });
      const timer = setTimeout(() => req.destroy(new TransientHttpError(`timed out after ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err instanceof TransientHttpError ? err : new TransientHttpError(`${method} ${url.pathname}: ${err.message}`));
      });
      req.end(payload);
    });
  }
}

function failureText(res: ApiResponse): string {
  const reason = res.body?.failureReason;
  if (typeof reason === 'string') return reason.slice(0, 500);
  return res.text.slice(0, 500) || 'refused';
}

/** Maps the API's payout object; `fallback` when it carries no status (a bare 409). */
function toSubmission(provider: string, payoutId: PayoutId, body: ApiPayout | null, fallback: 'submitted' | null): PayoutSubmission {
  const reference = typeof body?.id === 'string' && body.id.length > 0 ? body.id : payoutId;
  switch (body?.status) {
    case 'pending':
    case 'processing':
      return { payoutId, status: 'submitted', providerReference: reference, failureReason: null };
    case 'paid':
      return { payoutId, status: 'paid', providerReference: reference, failureReason: null };
    case 'failed':
      return { payoutId, status: 'failed', providerReference: reference, failureReason: typeof body.failureReason === 'string' ? body.failureReason.slice(0, 500) : 'failed' };
    default:
      if (fallback !== null) return { payoutId, status: fallback, providerReference: reference, failureReason: null };
      throw new PayoutProviderUnavailableError(provider, `Unreadable answer for ${payoutId}: status ${JSON.stringify(body?.status ?? null)}`);
  }
}
