import fc from 'fast-check';
import { type PostgresServer, type RedisServer, startPostgres, startRedis } from '@coinstile/testkit';
import { makeId } from '@coinstile/core';
import { randomBytes } from 'node:crypto';
import { publishCheckoutUpdate } from '../../src/pages';
import { type PagesHarness, SseClient, startPagesHarness } from './support/pages-harness';

let postgres: PostgresServer;
let redis: RedisServer;
let harness: PagesHarness;
const clients: SseClient[] = [];

/** A long poll interval so the pub/sub path is what delivers, unless a test polls on purpose. */
const POLL_INTERVAL_MS = 60_000;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  harness = await startPagesHarness(postgres, redis, { pollIntervalMs: POLL_INTERVAL_MS, heartbeatMs: 200, maxStreamsPerIp: 6 });
}, 120_000);

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

afterAll(async () => {
  await harness?.close();
  await Promise.allSettled([postgres?.stop(), redis?.stop()]);
});

async function openStream(path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await SseClient.open(`${harness.baseUrl}${path}`, headers);
  clients.push(client);
  return client;
}

function sameOriginPost(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${harness.baseUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: harness.baseUrl, ...headers },
    body,
  });
}

describe('GET /pay/{id}', () => {
  it('answers 404 with a clean HTML page for an unknown checkout', async () => {
    const id = makeId('co', Date.now(), randomBytes(10));
    const res = await fetch(`${harness.baseUrl}/pay/${id}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const body = await res.text();
    expect(body).toContain('Payment page not found');
    expect(body).not.toMatch(/at .*\.ts:\d+|Error:|stack/i);
  });

  it.each([
    ['a malformed id', '/pay/co_nothex', 400],
    ['another kind of id', `/pay/${makeId('st', Date.now(), randomBytes(10))}`, 400],
    ['a lower-case id', `/pay/${makeId('co', Date.now(), randomBytes(10)).toLowerCase()}`, 400],
    ['an unknown sub-path', '/pay/co_x/admin', 404],
    ['events of a malformed id', '/pay/%3Cscript%3E/events', 400],
  ])('answers %s (%s) with an HTML %i', async (_what, path, status) => {
    const res = await fetch(`${harness.baseUrl}${path}`);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const body = await res.text();
    expect(body).toContain('<!doctype html>');
    expect(body).not.toContain('<script>');
  });

  it('renders the asset choice in English by default, with a strict CSP and no inline script', async () => {
    const id = await harness.createCheckout({ amount: '4980', currency: 'JPY' });
    const res = await fetch(`${harness.baseUrl}/pay/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.text();
    expect(body).toContain('<html lang="en">');
    expect(body).toContain('Choose how to pay');
    expect(body).toContain('¥4,980');
    expect(body).toContain('data-testid="choose-BTC"');
    expect(body).toContain('data-testid="choose-LTC"');
    expect(body).not.toContain('choose-ETH');
    expect(body).not.toMatch(/<script>|<style|style="/);
    // The script and stylesheet it names are served by the router.
    for (const [, path] of body.matchAll(/(?:src|href)="(\/pay\/assets\/[^"]+)"/g)) {
      const asset = await fetch(`${harness.baseUrl}${path}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
    }
  });

  it('speaks Japanese from Accept-Language and switches with ?lang=', async () => {
    const id = await harness.createCheckout({ amount: '4980', currency: 'JPY' });
    const ja = await (await fetch(`${harness.baseUrl}/pay/${id}`, { headers: { 'Accept-Language': 'ja-JP,ja;q=0.9,en;q=0.5' } })).text();
    expect(ja).toContain('<html lang="ja">');
    expect(ja).toContain('お支払い方法を選択してください');
    expect(ja).toContain('￥4,980');
    const en = await (await fetch(`${harness.baseUrl}/pay/${id}?lang=en`, { headers: { 'Accept-Language': 'ja' } })).text();
    expect(en).toContain('Choose how to pay');
    const jaByParam = await (await fetch(`${harness.baseUrl}/pay/${id}?lang=ja`)).text();
    expect(jaByParam).toContain('ビットコインで支払う');
  });

  it('formats USD with cents and shows the payment view with QR, amount, address and wallet link', async () => {
    const id = await harness.createCheckout({ amount: '12.50', currency: 'USD', asset: 'BTC' });
    const body = await (await fetch(`${harness.baseUrl}/pay/${id}`)).text();
    expect(body).toContain('$12.50');
    expect(body).toContain('data-testid="state-pay"');
    expect(body).toMatch(/<svg[^>]*viewBox/);
    const amount = /data-testid="amount-due">([0-9.]+)</.exec(body)?.[1];
    const address = /data-testid="address">([a-z0-9]+)</.exec(body)?.[1];
    expect(address).toMatch(/^bcrt1q/);
    // 12.50 USD at the demo rate of 60,000 USD/BTC, rounded up to the satoshi.
    expect(amount).toBe('0.00020834');
    expect(body).toContain(`href="bitcoin:${address}?amount=${amount}"`);
    expect(body).toMatch(/data-countdown-ms="\d+"/);
  });
});

describe('choosing the asset', () => {
  it('POST from the page picks the asset and redirects to the payment view', async () => {
    const id = await harness.createCheckout();
    const res = await sameOriginPost(`/pay/${id}/asset?lang=ja`, 'asset=LTC');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/pay/${id}?lang=ja`);
    const page = await (await fetch(`${harness.baseUrl}${res.headers.get('location')}`)).text();
    expect(page).toContain('data-testid="state-pay"');
    expect(page).toMatch(/href="litecoin:rltc1q[a-z0-9]+\?amount=[0-9.]+"/);
    expect(page).toContain('ウォレットで開く');
  });

  it('refuses a cross-site post (CSRF) and writes nothing', async () => {
    const id = await harness.createCheckout();
    const evil = await sameOriginPost(`/pay/${id}/asset`, 'asset=BTC', { Origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    const fetchMeta = await sameOriginPost(`/pay/${id}/asset`, 'asset=BTC', { 'Sec-Fetch-Site': 'cross-site' });
    expect(fetchMeta.status).toBe(403);
    const noOrigin = await fetch(`${harness.baseUrl}/pay/${id}/asset`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'asset=BTC',
    });
    expect(noOrigin.status).toBe(403);
    expect(await noOrigin.text()).toContain('did not come from this payment page');
    const page = await (await fetch(`${harness.baseUrl}/pay/${id}`)).text();
    expect(page).toContain('data-testid="state-choose_asset"');
  });

  it('explains a refused choice in the page language: unknown asset 400, not accepted 422, already chosen 422', async () => {
    const id = await harness.createCheckout({ assets: ['BTC'] });
    const bad = await sameOriginPost(`/pay/${id}/asset`, 'asset=DOGE');
    expect(bad.status).toBe(400);
    const notOffered = await sameOriginPost(`/pay/${id}/asset?lang=ja`, 'asset=LTC');
    expect(notOffered.status).toBe(422);
    const text = await notOffered.text();
    expect(text).toContain('ストアはこの通貨を受け付けていません');
    expect(text).toContain(`href="/pay/${id}?lang=ja"`);
    expect((await sameOriginPost(`/pay/${id}/asset`, 'asset=BTC')).status).toBe(303);
    expect((await sameOriginPost(`/pay/${id}/asset`, 'asset=BTC')).status).toBe(303);
    expect((await sameOriginPost(`/pay/${id}/asset`, 'asset=LTC')).status).toBe(422);
  });

  it('keeps a valid quote when asked for a new one', async () => {
    const id = await harness.createCheckout({ asset: 'BTC' });
    const before = await (await fetch(`${harness.baseUrl}/pay/${id}`)).text();
    const res = await sameOriginPost(`/pay/${id}/quote`, '');
    expect(res.status).toBe(303);
    const after = await (await fetch(`${harness.baseUrl}/pay/${id}`)).text();
    expect(/data-testid="amount-due">([0-9.]+)</.exec(after)?.[1]).toBe(/data-testid="amount-due">([0-9.]+)</.exec(before)?.[1]);
  });
});

describe('GET /pay/{id}/events', () => {
  it('sends retry, heartbeats and the current state, then a status change published after compareAndSet', async () => {
    const id = await harness.createCheckout({ asset: 'BTC' });
    const stream = await openStream(`/pay/${id}/events`);
    expect(stream.status).toBe(200);
    await stream.waitFor((s) => s.checkoutEvents().length === 1 && s.comments.length > 0);
    expect(stream.retry).toBe(3000);
    const [first] = stream.checkoutEvents();
    expect(first?.key).toBe('1.pay');
    expect(first?.final).toBe(false);

    await harness.waitForSubscription(id);
    const started = Date.now();
    const paid = await harness.pay(id, { confirmations: 0, publish: true });
    expect(paid.status).toBe('processing');
    await stream.waitFor((s) => s.checkoutEvents().some((e) => e.key.endsWith('.processing')), 5_000);
    expect(Date.now() - started).toBeLessThan(POLL_INTERVAL_MS);
    const processing = stream.checkoutEvents().at(-1)!;
    expect(processing.html).toContain('Payment received');
    expect(processing.html).toContain(paid.txid);
    expect(stream.events.at(-1)?.id).toBe(processing.key);
  });

  it('does not resend what Last-Event-ID says the page has; ends with the final state and then answers 204', async () => {
    const id = await harness.createCheckout({ asset: 'LTC' });
    const stream = await openStream(`/pay/${id}/events?since=1.pay`);
    await stream.waitFor((s) => s.comments.length > 0);
    expect(stream.checkoutEvents()).toHaveLength(0);

    await harness.waitForSubscription(id);
    await harness.pay(id, { confirmations: 6, publish: true });
    await stream.waitFor((s) => s.ended && s.checkoutEvents().length === 1);
    const settled = stream.checkoutEvents()[0]!;
    expect(settled.final).toBe(true);
    expect(settled.html).toContain('Paid — thank you');

    const again = await openStream(`/pay/${id}/events`, { 'Last-Event-ID': settled.key });
    expect(again.status).toBe(204);
    const behind = await openStream(`/pay/${id}/events`, { 'Last-Event-ID': '1.pay' });
    await behind.waitFor((s) => s.ended);
    expect(behind.checkoutEvents().map((e) => e.key)).toEqual([settled.key]);
  });

  it('picks up a change nobody published, through the database poll', async () => {
    const id = await harness.createCheckout({ asset: 'BTC' });
    const stream = await openStream(`/pay/${id}/events?since=1.pay`);
    await harness.waitForSubscription(id);
    await harness.pay(id, { confirmations: 6, publish: false });
    // No message: only a poll can notice. Run the shared poller now rather than wait its interval out.
    await new Promise((r) => setTimeout(r, 300));
    expect(stream.checkoutEvents()).toHaveLength(0);
    await harness.pages.pollNow();
    await stream.waitFor((s) => s.checkoutEvents().some((e) => e.final), 5_000);
    expect(stream.checkoutEvents()[0]?.html).toContain('data-testid="state-settled"');
  });

  it('shows what remains after a partial payment', async () => {
    const id = await harness.createCheckout({ asset: 'BTC', amount: '12.50', currency: 'USD' });
    const stream = await openStream(`/pay/${id}/events?since=1.pay&lang=ja`);
    await harness.waitForSubscription(id);
    await harness.pay(id, { amountBase: 10_000n, confirmations: 1, publish: true });
    await stream.waitFor((s) => s.checkoutEvents().length === 1);
    const partial = stream.checkoutEvents()[0]!;
    expect(partial.key).toBe('2.pay');
    expect(partial.html).toContain('一部のお支払いを受け取りました');
    // 20,834 sats due, 10,000 received: 10,834 remain, and the QR/URI ask for exactly that.
    expect(partial.html).toContain('data-testid="amount-due">0.00010834<');
    expect(partial.html).toContain('?amount=0.00010834"');
  });

  it('bounds open streams per IP', async () => {
    const id = await harness.createCheckout({ asset: 'BTC' });
    const open: SseClient[] = [];
    while (harness.pages.openStreams() < 6) {
      const client = await openStream(`/pay/${id}/events`);
      expect(client.status).toBe(200);
      open.push(client);
    }
    const refused = await openStream(`/pay/${id}/events`);
    expect(refused.status).toBe(429);
    open[0]!.close();
    await waitUntil(() => harness.pages.openStreams() < 6);
    expect((await openStream(`/pay/${id}/events`)).status).toBe(200);
  });
});

describe('deadlines', () => {
  it('pushes the expired-quote view when the quote runs out, with no write and no poll', async () => {
    const id = await harness.createCheckout({ asset: 'BTC' });
    await harness.db.kysely.updateTable('checkouts').set({ quote_expires_at: new Date(Date.now() + 1_500) }).where('id', '=', id).execute();
    const stream = await openStream(`/pay/${id}/events?since=1.pay`);
    await stream.waitFor((s) => s.checkoutEvents().length === 1, 5_000);
    const event = stream.checkoutEvents()[0]!;
    expect(event.key).toBe('1.quote_expired');
    expect(event.html).toContain('The price has expired');
    expect(event.html).not.toContain('bcrt1q');
  });

  it('renews an expired quote from the page: a new amount and a new countdown', async () => {
    const id = await harness.createCheckout({ asset: 'BTC' });
    await harness.db.kysely.updateTable('checkouts').set({ quote_expires_at: new Date(Date.now() - 1_000) }).where('id', '=', id).execute();
    const expired = await (await fetch(`${harness.baseUrl}/pay/${id}`)).text();
    expect(expired).toContain('data-testid="state-quote_expired"');
    expect(expired).toContain(`action="/pay/${id}/quote?lang=en"`);
    const res = await sameOriginPost(`/pay/${id}/quote?lang=en`, '');
    expect(res.status).toBe(303);
    const renewed = await (await fetch(`${harness.baseUrl}${res.headers.get('location')}`)).text();
    expect(renewed).toContain('data-testid="state-pay"');
    expect(renewed).toContain('data-state="2.pay"');
    const countdownMs = Number(/data-countdown-ms="(\d+)"/.exec(renewed)?.[1]);
    expect(countdownMs).toBeGreaterThan(14 * 60_000);
  });

  it('shows a checkout past its expiry as expired before the verifier records it, and refuses to pick an asset', async () => {
    const id = await harness.createCheckout();
    await harness.db.kysely.updateTable('checkouts').set({ expires_at: new Date(Date.now() - 1_000) }).where('id', '=', id).execute();
    const page = await (await fetch(`${harness.baseUrl}/pay/${id}`)).text();
    expect(page).toContain('data-testid="state-expired"');
    expect(page).toContain('Do not send anything to its address');
    const res = await sameOriginPost(`/pay/${id}/asset`, 'asset=BTC');
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('This checkout can no longer be paid');
  });
});

describe('fuzz', () => {
  it('never answers 5xx to whatever path, language, header or form body arrives', async () => {
    const id = await harness.createCheckout();
    const segment = fc.oneof(fc.constant(id), fc.string({ maxLength: 40 }), fc.constantFrom('co_', 'assets', '..', '%00', '%E0%A4%A'));
    const tail = fc.constantFrom('', '/events', '/asset', '/quote', '/x');
    await fc.assert(
      fc.asyncProperty(
        segment,
        tail,
        fc.constantFrom('GET', 'POST'),
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 60 }),
        fc.string({ maxLength: 60 }),
        async (idText, suffix, method, lang, acceptLanguage, body) => {
          const controller = new AbortController();
          const headers: Record<string, string> = { Origin: harness.baseUrl, 'Content-Type': 'application/x-www-form-urlencoded' };
          if (/^[\x20-\x7e]*$/.test(acceptLanguage)) headers['Accept-Language'] = acceptLanguage;
          if (/^[\x20-\x7e]*$/.test(acceptLanguage)) headers['Last-Event-ID'] = acceptLanguage;
          const path = `/pay/${encodeURIComponent(idText)}${suffix}?lang=${encodeURIComponent(lang)}`;
          const res = await fetch(`${harness.baseUrl}${path}`, {
            method,
            headers,
            redirect: 'manual',
            signal: controller.signal,
            ...(method === 'POST' ? { body } : {}),
          });
          controller.abort();
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
    // Streams opened by the fuzz (valid id + /events) are gone once their requests were aborted.
    await waitUntil(() => harness.pages.openStreams() === 0);
  }, 60_000);
});

describe('Redis outage', () => {
  it('the poll keeps pages current while Redis is down; pub/sub resumes after it restarts', async () => {
    const id = await harness.createCheckout({ asset: 'BTC' });
    const stream = await openStream(`/pay/${id}/events?since=1.pay`);
    await harness.waitForSubscription(id);

    await redis.kill9();
    const seen = await harness.pay(id, { confirmations: 0, publish: false });
    await expect(publishCheckoutUpdate(harness.redis, id, 2)).resolves.toBe(false);
    await harness.pages.pollNow();
    await stream.waitFor((s) => s.checkoutEvents().some((e) => e.key === '2.processing'), 5_000);

    await redis.restart();
    await harness.waitForSubscription(id);
    await harness.pay(id, { confirmations: 6, publish: true, txid: seen.txid });
    await stream.waitFor((s) => s.checkoutEvents().some((e) => e.key === '3.settled'), 5_000);
  }, 60_000);
});

describe('shutdown', () => {
  it('close() ends every open stream', async () => {
    const other = await startPagesHarness(postgres, redis, { pollIntervalMs: POLL_INTERVAL_MS });
    try {
      const id = await other.createCheckout({ asset: 'BTC' });
      const stream = await SseClient.open(`${other.baseUrl}/pay/${id}/events`);
      clients.push(stream);
      await stream.waitFor((s) => s.checkoutEvents().length === 1);
      await other.pages.close();
      await stream.waitFor((s) => s.ended, 5_000);
      expect(other.pages.openStreams()).toBe(0);
    } finally {
      await other.close();
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 20));
  }
}
