import { ChainRpcError } from './embedded-chain-errors';

let nextRequestId = 1;

/** Answer code of a Bitcoin Core family node that is still starting (loading blocks, wallets). */
export const RPC_IN_WARMUP = -28;

/**
 * Calls `method` on a Bitcoin Core family JSON-RPC endpoint given as `http://user:pass@host:port[/wallet/name]`.
 * fetch() refuses URLs with credentials, so they travel in an Authorization header; `connection: close`
 * because a kept-alive connection holds litecoind's shutdown until the client drops it.
 */
export async function bitcoinRpc<T>(url: string, method: string, params: readonly unknown[] = [], timeoutMs = 30_000): Promise<T> {
  const parsed = new URL(url);
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  const response = await fetch(parsed, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      connection: 'close',
      authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
    },
    body: JSON.stringify({ jsonrpc: '1.0', id: nextRequestId++, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return parseAnswer<T>(method, response);
}

/** Calls `method` on an EVM JSON-RPC endpoint (`http://host:port`). */
export async function evmRpc<T>(url: string, method: string, params: readonly unknown[] = [], timeoutMs = 30_000): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', connection: 'close' },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextRequestId++, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return parseAnswer<T>(method, response);
}

async function parseAnswer<T>(method: string, response: Response): Promise<T> {
  const text = await response.text();
  let body: { result?: unknown; error?: { code: number; message: string } | null };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // 401 has an empty body: never echo the request (it carries credentials), only the status.
    throw new ChainRpcError(method, response.status, `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
  }
  if (body.error !== null && body.error !== undefined) throw new ChainRpcError(method, body.error.code, body.error.message);
  return body.result as T;
}
