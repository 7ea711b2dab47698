import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How the fake API misbehaves for one payout id. */
export type Fault =
  /** First POST answers 500 without doing anything. */
  | 'fail_once'
  /** First POST creates the payout, then answers only after the client gave up; the retry gets 409. */
  | 'timeout_after_processing'
  /** The POST creates the payout and the same 200 answer is written twice on the connection. */
  | 'answer_twice'
  /** 422: the API refuses the payout for good. */
  | 'reject'
  /** First POST creates the payout and drops the connection unanswered; the retry gets a bare 409 (no body). */
  | 'reset_then_bare_409'
  /** The API pays at once (status paid in the answer). */
  | 'paid_at_once'
  /** Every request answers 503. */
  | 'down';

export interface StoredPayout {
  id: string;
  key: string;
  amount: string;
  currency: string;
  status: 'pending' | 'paid' | 'failed';
  failureReason?: string;
}

export interface FaultyPayoutApi {
  readonly url: string;
  readonly faults: Map<string, Fault>;
  /** Payouts the API created, by idempotency key: the money it would move. */
  readonly created: Map<string, StoredPayout>;
  /** POST requests seen per idempotency key. */
  readonly posts: Map<string, number>;
  readonly authorizations: string[];
  close(): Promise<void>;
}

/**
 * A payout API on 127.0.0.1 speaking `HttpPayoutProvider`'s contract, honouring `Idempotency-Key`
 * (a repeated key never creates a second payout; it answers 409 with the earlier payout), with faults
 * injected per payout id.
 */
export async function startFaultyPayoutApi(): Promise<FaultyPayoutApi> {
  const faults = new Map<string, Fault>();
  const created = new Map<string, StoredPayout>();
  const posts = new Map<string, number>();
  const authorizations: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let n = 0;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    authorizations.push(String(req.headers.authorization ?? ''));
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname.startsWith('/v1/payouts/')) {
      const id = decodeURIComponent(url.pathname.slice('/v1/payouts/'.length));
      const found = created.get(id);
      return found ? json(res, 200, found) : json(res, 404, { error: 'unknown' });
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/payouts') return json(res, 404, { error: 'no route' });
    const key = String(req.headers['idempotency-key'] ?? '');
    const body = JSON.parse(raw) as { id: string; amount: string; currency: string };
    const count = (posts.get(key) ?? 0) + 1;
    posts.set(key, count);
    const fault = faults.get(body.id);
    if (fault === 'down') return json(res, 503, { error: 'maintenance' });
    if (fault === 'fail_once' && count === 1) return json(res, 500, { error: 'boom' });
    if (fault === 'reject') return json(res, 422, { failureReason: 'creditor account closed' });
    const earlier = created.get(key);
    if (earlier && fault === 'reset_then_bare_409') {
      res.writeHead(409, { 'content-length': '0' });
      return res.end();
    }
    if (earlier) return json(res, 409, earlier);
    const payout: StoredPayout = { id: `prov_${++n}`, key, amount: body.amount, currency: body.currency, status: fault === 'paid_at_once' ? 'paid' : 'pending' };
    created.set(key, payout);
    if (fault === 'timeout_after_processing' && count === 1) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) json(res, 201, payout);
      }, 1500);
      timers.add(timer);
      return;
    }
    if (fault === 'reset_then_bare_409') {
      res.socket?.destroy();
      return;
    }
    if (fault === 'answer_twice') {
      const text = JSON.stringify(payout);
      const answer = `HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
      res.socket?.end(answer + answer);
      return;
    }
    return json(res, 201, payout);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    faults,
    created,
    posts,
    authorizations,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
