import { redactUrl } from '@coinstile/platform';
import { RPC_IN_WARMUP, RpcMethodError, RpcProtocolError, RpcUnavailableError } from './rpc-errors';

export interface BitcoinRpcClientOptions {
  /** Bound on each HTTP request (a batch is one request). Default 10 s. */
  readonly timeoutMs?: number;
}

/** One call of a batch. */
export interface RpcCall {
  readonly method: string;
  readonly params?: readonly unknown[];
}

/** The outcome of one call of a batch: its result, or the error the node returned for it. */
export type RpcOutcome<T> = { readonly ok: true; readonly result: T } | { readonly ok: false; readonly error: RpcMethodError };

interface JsonRpcReply {
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown } | null;
}

/**
 * JSON-RPC over HTTP to a Bitcoin Core family node (bitcoind, litecoind), URL given as
 * `http://user:pass@host:port[/wallet/name]`. `fetch` refuses credentials in URLs, so they travel in the
 * Authorization header, and the URL is kept only redacted (logs and error messages never carry them).
 * Every failure is typed: `RpcUnavailableError` (retry), `RpcProtocolError`, `RpcMethodError`.
 */
export class BitcoinRpcClient {
  /** The endpoint with its password masked, for logs. */
  readonly endpoint: string;
  readonly #url: URL;
  readonly #authorization: string;
  readonly #timeoutMs: number;
  #nextId = 1;

  constructor(url: string, options: BitcoinRpcClientOptions = {}) {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new RangeError(`chain RPC URL must be http:// or https://, got ${parsed.protocol}`);
    }
    this.#authorization = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
    this.endpoint = redactUrl(url);
    parsed.username = '';
    parsed.password = '';
    this.#url = parsed;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Calls `method`; throws `RpcMethodError` when the node answers with an error. */
  async call<T>(method: string, params: readonly unknown[] = []): Promise<T> {
    const id = this.#nextId++;
    const reply = await this.#post(method, { jsonrpc: '1.0', id, method, params });
    if (Array.isArray(reply) || reply === null || typeof reply !== 'object') {
      throw new RpcProtocolError(method, 200, 'reply is not a JSON-RPC object');
    }
    return unwrap<T>(method, reply as JsonRpcReply);
  }

  /**
   * Sends `calls` as one JSON-RPC batch (one HTTP request); the outcomes come back in the order of
   * `calls` whatever order the node answered in. A per-call error is an outcome, not a throw.
   */
  async batch<T>(calls: readonly RpcCall[]): Promise<RpcOutcome<T>[]> {
    if (calls.length === 0) return [];
    const first = this.#nextId;
    this.#nextId += calls.length;
    const label = `batch(${calls[0]!.method}×${calls.length})`;
    const body = calls.map((c, i) => ({ jsonrpc: '1.0', id: first + i, method: c.method, params: c.params ?? [] }));
    const reply = await this.#post(label, body);
    if (!Array.isArray(reply)) throw new RpcProtocolError(label, 200, 'batch reply is not an array');
    const outcomes: (RpcOutcome<T> | undefined)[] = new Array(calls.length);
    for (const item of reply as JsonRpcReply[]) {
      const index = typeof item?.id === 'number' ? item.id - first : -1;
      const call = calls[index];
      if (call === undefined) throw new RpcProtocolError(label, 200, 'batch reply with an unknown id');
      try {
        outcomes[index] = { ok: true, result: unwrap<T>(call.method, item) };
      } catch (err) {
        if (!(err instanceof RpcMethodError)) throw err;
        outcomes[index] = { ok: false, error: err };
      }
    }
    return outcomes.map((o, i) => {
      if (o === undefined) throw new RpcProtocolError(label, 200, `no reply for call ${i}`);
      return o;
    });
  }

  async #post(label: string, payload: unknown): Promise<unknown> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: this.#authorization },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      const name = (err as { name?: unknown } | null)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new RpcUnavailableError(label, 'timeout', `no answer from ${this.endpoint} within ${this.#timeoutMs} ms`);
      }
      const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
      const code = typeof cause?.code === 'string' ? cause.code : err instanceof Error ? err.message : 'fetch failed';
      throw new RpcUnavailableError(label, 'network', `${this.endpoint}: ${code}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Bitcoin Core answers 401 with an empty body, 503 while shutting down, 500 with JSON for errors.
      if (response.status >= 500) throw new RpcUnavailableError(label, 'http_status', `HTTP ${response.status} from ${this.endpoint}`);
      throw new RpcProtocolError(label, response.status, response.status === 401 ? 'credentials refused' : text.slice(0, 120));
    }
    return parsed;
  }
}

function unwrap<T>(method: string, reply: JsonRpcReply): T {
  const error = reply.error;
  if (error !== null && error !== undefined) {
    const code = typeof error.code === 'number' ? error.code : 0;
    const message = typeof error.message === 'string' ? error.message : 'unknown error';
    if (code === RPC_IN_WARMUP) throw new RpcUnavailableError(method, 'warming_up', message);
    throw new RpcMethodError(method, code, message);
  }
  if (!('result' in reply)) throw new RpcProtocolError(method, 200, 'reply without result');
  return reply.result as T;
}
