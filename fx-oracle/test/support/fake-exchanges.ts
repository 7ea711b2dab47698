import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** A canned answer: status (default 200), body (default: the exchange's fixture), delay before answering. */
export interface CannedResponse {
  readonly status?: number;
  readonly body?: string;
  readonly contentType?: string;
  readonly delayMs?: number;
}

const FIXTURES = join(__dirname, '..', 'fixtures');

/** A fixture file with `{{unixSeconds}}` and `{{isoDate}}` filled in for the given time. */
export function fixture(name: string, nowMs: number = Date.now()): string {
  return readFileSync(join(FIXTURES, name), 'utf8')
    .replaceAll('{{unixSeconds}}', String(Math.floor(nowMs / 1000)))
    .replaceAll('{{isoDate}}', new Date(nowMs).toISOString().slice(0, 10));
}

/** Per-asset USD prices the generated answers (pairs without a fixture file of their own) report. */
const OTHER_PRICES: Record<string, string> = { LTC: '80.01', ETH: '3000.10', USDC: '1.0001' };

/**
 * A local HTTP server (127.0.0.1, free port) answering like Coinbase, Kraken, Bitstamp, Binance, CoinGecko
 * and the ECB, from fixtures written after their API documentation. Tests override any path prefix
 * with a status, a body or a delay, and can age every exchange timestamp.
 */
export class FakeExchanges {
  private readonly overrides = new Map<string, CannedResponse>();
  /** How old the timestamps in answers are (seconds), to simulate stale exchanges. */
  timestampAgeSeconds = 0;
  readonly requests: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<FakeExchanges> {
    let exchanges: FakeExchanges | undefined;
    const server = createServer((req, res) => {
      void exchanges?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    exchanges = new FakeExchanges(server, `http://127.0.0.1:${port}`);
    return exchanges;
  }

  /** Answers every request whose path starts with `pathPrefix` with `response` instead. */
  override(pathPrefix: string, response: CannedResponse): void {
    this.overrides.set(pathPrefix, response);
  }

  reset(): void {
    this.overrides.clear();
    this.timestampAgeSeconds = 0;
    this.requests.length = 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private nowMs(): number {
    return Date.now() - this.timestampAgeSeconds * 1000;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    this.requests.push(`${url.pathname}${url.search}`);
    const override = [...this.overrides.entries()]
      .filter(([prefix]) => url.pathname.startsWith(prefix))
      .sort(([a], [b]) => b.length - a.length)[0]?.[1];
    const fallback = this.defaultAnswer(url);
    const answer = { ...fallback, ...override };
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (res.destroyed) return;
    res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'application/json' });
    res.end(answer.body ?? '');
  }

  private defaultAnswer(url: URL): CannedResponse {
    const path = url.pathname;
    let match: RegExpExecArray | null;
    if ((match = /^\/v2\/prices\/([A-Z]+)-([A-Z]+)\/spot$/.exec(path))) {
      const [, base = '', quote = ''] = match;
      if (base === 'BTC' && quote === 'USD') return { body: fixture('coinbase-spot-btc-usd.json') };
      const price = quote === 'USD' ? OTHER_PRICES[base] : undefined;
      if (!price) return { status: 404, body: fixture('coinbase-error-not-found.json') };
      return { body: JSON.stringify({ data: { amount: price, base, currency: quote } }) };
    }
    if (path === '/0/public/Ticker') return { body: fixture('kraken-ticker.json') };
    if ((match = /^\/api\/v2\/ticker\/([a-z]+)usd\/$/.exec(path))) {
      const base = (match[1] ?? '').toUpperCase();
      const ticker = JSON.parse(fixture('bitstamp-ticker-btcusd.json', this.nowMs())) as Record<string, string>;
      if (base === 'BTC') return { body: JSON.stringify(ticker) };
      const price = OTHER_PRICES[base];
      if (!price) return { status: 404, body: JSON.stringify({ status: 'error', reason: 'Invalid currency pair' }) };
      return { body: JSON.stringify({ ...ticker, last: price, bid: price, ask: price }) };
    }
    if (path === '/api/v3/ticker/price') {
      const symbol = url.searchParams.get('symbol') ?? '';
      if (symbol === 'BTCUSDT') return { body: fixture('binance-ticker-price-btcusdt.json') };
      const price = symbol.endsWith('USDT') ? OTHER_PRICES[symbol.slice(0, -4)] : undefined;
      if (!price) return { status: 400, body: fixture('binance-error-invalid-symbol.json') };
      return { body: JSON.stringify({ symbol, price }) };
    }
    if (path === '/api/v3/simple/price') return { body: fixture('coingecko-simple-price.json', this.nowMs()) };
    if (path === '/stats/eurofxref/eurofxref-daily.xml') {
      return { body: fixture('eurofxref-daily.xml', this.nowMs()), contentType: 'text/xml' };
    }
    return { status: 404, body: '{"error":"no such fixture"}' };
  }
}
