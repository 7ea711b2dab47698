import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupAddress } from 'node:dns';
import { parseWebhookUrl, resolveAllowedAddresses, type SsrfPolicy } from './ssrf-guard';

/** Response bodies are stored up to this many characters (the column allows 2048). */
export const RESPONSE_BODY_LIMIT = 2048;

export interface WebhookRequest {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

export interface WebhookAttemptResult {
  readonly outcome: 'succeeded' | 'failed';
  /** Null when no response arrived (refused, timed out, blocked). */
  readonly httpStatus: number | null;
  readonly latencyMs: number;
  readonly responseBody: string | null;
  readonly error: string | null;
}

/**
 * POSTs one delivery. The host is resolved and checked against the SSRF policy for this very attempt,
 * and the socket connects to exactly the address that was checked (the `lookup` hook hands it over), so
 * a DNS answer that changes between the check and the connection (rebinding) cannot redirect it.
 * Redirects are not followed (a 3xx is a failure), the whole exchange is bounded by `timeoutMs`, and
 * only a 2xx counts as delivered.
 */
export async function sendWebhook(req: WebhookRequest, policy: SsrfPolicy): Promise<WebhookAttemptResult> {
  const startedAt = performance.now();
  const elapsed = (): number => Math.max(0, Math.round(performance.now() - startedAt));
  let target: LookupAddress;
  let url: URL;
  try {
    url = parseWebhookUrl(req.url);
    const addresses = await resolveAllowedAddresses(url.hostname, policy);
    target = addresses[0]!;
  } catch (err) {
    return { outcome: 'failed', httpStatus: null, latencyMs: elapsed(), responseBody: null, error: (err as Error).message };
  }
  return new Promise<WebhookAttemptResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<WebhookAttemptResult, 'latencyMs'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, latencyMs: elapsed() });
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(
      url,
      {
        method: 'POST',
        headers: { ...req.headers, 'Content-Length': String(Buffer.byteLength(req.body)) },
        agent: false,
        lookup: (_hostname, options, callback) => {
          const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all === true;
          if (all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, [target]);
          else (callback as (e: null, a: string, f: number) => void)(null, target.address, target.family);
        },
      },
      (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = (): void => {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_BODY_LIMIT);
          const ok = status >= 200 && status < 300;
          finish({ outcome: ok ? 'succeeded' : 'failed', httpStatus: status, responseBody: text, error: ok ? null : `HTTP ${status}` });
          response.destroy();
        };
        response.on('data', (chunk: Buffer) => {
          if (size < RESPONSE_BODY_LIMIT * 4) chunks.push(chunk);
          size += chunk.length;
          if (size >= RESPONSE_BODY_LIMIT * 4) done();
        });
        response.on('end', done);
        response.on('error', done);
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      finish({ outcome: 'failed', httpStatus: null, responseBody: null, error: `timed out after ${req.timeoutMs} ms` });
    }, req.timeoutMs);
    request.on('error', (err) => finish({ outcome: 'failed', httpStatus: null, responseBody: null, error: err.message }));
    request.end(req.body);
  });
}
