/** A JSON-RPC error returned by a Bitcoin Core family node (litecoind), with its numeric RPC code. */
export class BitcoinRpcError extends Error {
  override readonly name = 'BitcoinRpcError';

  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
  ) {
    super(`${method}: ${message} (RPC error ${code})`);
  }
}

let nextRequestId = 1;

/**
 * Calls `method` on a Bitcoin Core JSON-RPC endpoint given as `http://user:pass@host:port[/wallet/name]`.
 * fetch() refuses URLs with credentials, so they travel in an Authorization header instead.
 */
export async function bitcoinRpc<T>(url: string, method: string, params: readonly unknown[] = []): Promise<T> {
  const parsed = new URL(url);
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  const response = await fetch(parsed, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      // A kept-alive connection holds litecoind's shutdown until the client drops it (4 s in undici).
      connection: 'close',
      authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
    },
    body: JSON.stringify({ jsonrpc: '1.0', id: nextRequestId++, method, params }),
  });
  const text = await response.text();
  let body: { result?: unknown; error?: { code: number; message: string } | null };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new BitcoinRpcError(method, response.status, `HTTP ${response.status}: ${text.slice(0, 200)}`);
  }
  if (body.error !== null && body.error !== undefined) {
    throw new BitcoinRpcError(method, body.error.code, body.error.message);
  }
  return body.result as T;
}
