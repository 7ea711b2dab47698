import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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

/** Agents kept at most (one per checked address); the least recently used one is closed beyond it. */
const MAX_POOLED_ADDRESSES = 256;
/** An idle kept-alive connection is closed after this, below the 5 s keep-alive timeout common servers use. */
const IDLE_SOCKET_MS = 4_000;

/**
 * Kept-alive connections for webhook requests, pooled per **checked address**: a request reuses a socket
 * only when its own SSRF check resolved to the very address that socket was opened to, so pooling never
 * lets a request reach an address it was not checked for (DNS rebinding included). A thousand deliveries
 * to one store then cost a few connections instead of a thousand TCP handshakes on both sides.
 */
export class WebhookConnectionPool {
  readonly #agents = new Map<string, HttpAgent>();

  agentFor(protocol: string, target: LookupAddress): HttpAgent {
    const key = `${protocol}//${target.family}/${target.address}`;
    let agent = this.#agents.get(key);
    if (agent !== undefined) {
      // Most recently used last, so the oldest is the first key.
      this.#agents.delete(key);
      this.#agents.set(key, agent);
      return agent;
    }
    const options = { keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' as const };
    agent = protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
    this.#agents.set(key, agent);
    if (this.#agents.size > MAX_POOLED_ADDRESSES) {
      const [oldestKey, oldest] = this.#agents.entries().next().value as [string, HttpAgent];
      this.#agents.delete(oldestKey);
      oldest.destroy();
    }
    return agent;
  }

  /** Closes every pooled connection. */
  close(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }
}

/**
 * POSTs one delivery. The host is resolved and checked against the SSRF policy for this very attempt,
 * and the socket connects to exactly the address that was checked (the `lookup` hook hands it over), so
 * a DNS answer that changes between the check and the connection (rebinding) cannot redirect it. With a
 * `pool`, the connection is kept alive for later requests to the same checked address; a kept-alive
 * socket the server closed meanwhile is replaced by a fresh connection once (that is not the store's
 * failure). Redirects are not followed (a 3xx is a failure), the whole exchange is bounded by
 * `timeoutMs`, and only a 2xx counts as delivered.
 */
export async function sendWebhook(req: WebhookRequest, policy: SsrfPolicy, pool?: WebhookConnectionPool): Promise<WebhookAttemptResult> {
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
    let request: ClientRequest;
    const finish = (result: Omit<WebhookAttemptResult, 'latencyMs'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, latencyMs: elapsed() });
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const start = (agent: HttpAgent | false): void => {
      request = send(
        url,
        {
          method: 'POST',
          headers: { ...req.headers, 'Content-Length': String(Buffer.byteLength(req.body)) },
          agent,
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
          const done = (complete: boolean): void => {
            const text = Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_BODY_LIMIT);
            const ok = status >= 200 && status < 300;
            finish({ outcome: ok ? 'succeeded' : 'failed', httpStatus: status, responseBody: text, error: ok ? null : `HTTP ${status}` });
            // A response read to its end leaves its socket to the pool; one cut short closes it.
            if (!complete) response.destroy();
          };
          response.on('data', (chunk: Buffer) => {
            if (size < RESPONSE_BODY_LIMIT * 4) chunks.push(chunk);
            size += chunk.length;
            if (size >= RESPONSE_BODY_LIMIT * 4) done(false);
          });
          response.on('end', () => done(true));
          response.on('error', () => done(false));
        },
      );
      request.on('error', (err) => {
        // A kept-alive socket closed by the server before it read this request: nothing reached the store.
        if (request.reusedSocket && !settled && agent !== false && isStaleSocketError(err)) start(false);
        else finish({ outcome: 'failed', httpStatus: null, responseBody: null, error: err.message });
      });
      request.end(req.body);
    };
    const timer = setTimeout(() => {
      request.destroy();
      finish({ outcome: 'failed', httpStatus: null, responseBody: null, error: `timed out after ${req.timeoutMs} ms` });
    }, req.timeoutMs);
    start(pool === undefined ? false : pool.agentFor(url.protocol, target));
  });
}

function isStaleSocketError(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}
