import { luhnCheckDigit, parseId } from '@coinstile/core';
import { expireDueVouchers, LedgerRepository } from '@coinstile/platform';
import { sql } from 'kysely';
import { activeStoreWithKey, type GatewayHarness, OPERATOR_TOKEN, startHarness } from '../support/gateway-harness';

/**
 * Vouchers on a real PostgreSQL and redis-server: issue (PINs shown once), POS activation (replay-safe),
 * balance, applying PINs to checkouts under concurrency, brute force, expiry, release on cancel.
 */
let h: GatewayHarness;
let store: { storeId: string; key: string };

beforeAll(async () => {
  h = await startHarness({
    rateLimits: { key: 1_000_000, operator: 1_000_000, ip: 1_000_000 },
    // Cheap hashes: the tests check the flow, not scrypt's cost.
    pinHashCost: { N: 1024, r: 8, p: 1 },
    // Through the configuration, as an operator sets them (the defaults are 20 and 10).
    env: { PIN_ATTEMPTS_PER_IP: '16', PIN_ATTEMPTS_PER_SUBJECT: '8' },
  });
  store = await activeStoreWithKey(h, ['checkouts:read', 'checkouts:write', 'pos']);
}, 120_000);
afterAll(async () => {
  await h?.stop();
});

async function issue(count: number, faceValue: string, expiresAt = new Date(Date.now() + 86_400_000).toISOString()): Promise<{ id: string; pins: string[]; token: string }> {
  const res = await h.request('POST', '/v1/voucher-batches', { token: OPERATOR_TOKEN, body: { count, faceValue, currency: 'JPY', expiresAt } });
  expect(res.status).toBe(201);
  return { id: res.body.batch.id, pins: res.body.pins.map((p: { pin: string }) => p.pin), token: new URL(res.body.pinsCsvUrl).searchParams.get('token')! };
}

let pos = 0;
async function activate(pin: string, posTransactionId = `pos-${++pos}`) {
  return h.request('POST', '/v1/vouchers/activate', { token: store.key, body: { pin, posTransactionId } });
}

async function checkout(amount: string): Promise<string> {
  const res = await h.request('POST', '/v1/checkouts', { token: store.key, body: { orderId: `V-${Math.random()}`, amount, currency: 'JPY', asset: 'BTC' } });
  expect(res.status).toBe(201);
  return res.body.id;
}

const ledgerCount = async (kind: string): Promise<number> =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ledger_postings WHERE kind = ${kind}`.execute(h.runtime.db.kysely)).rows[0]!.n);

test('a batch shows its PINs once: in the response, and one CSV download with its token', async () => {
  const batch = await issue(3, '3000');
  expect(batch.pins).toHaveLength(3);
  expect(batch.pins[0]).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);
  const stored = await h.runtime.db.kysely.selectFrom('vouchers').selectAll().where('batch_id', '=', batch.id).orderBy('serial').execute();
  expect(stored.map((v) => v.pin_last4)).toEqual(batch.pins.map((p) => p.slice(-4)));
  expect(stored.every((v) => v.pin_hash.startsWith('scrypt$') && !v.pin_hash.includes(batch.pins[0]!.replace(/ /g, '')))).toBe(true);
  const wrong = await h.request('GET', `/v1/voucher-batches/${batch.id}/pins.csv?token=nope`, { token: OPERATOR_TOKEN });
  expect(wrong.status).toBe(404);
  const csv = await h.request('GET', `/v1/voucher-batches/${batch.id}/pins.csv?token=${batch.token}`, { token: OPERATOR_TOKEN });
  expect(csv.status).toBe(200);
  expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
  for (const pin of batch.pins) expect(csv.text).toContain(pin);
  const again = await h.request('GET', `/v1/voucher-batches/${batch.id}/pins.csv?token=${batch.token}`, { token: OPERATOR_TOKEN });
  expect(again.status).toBe(422);
  expect(again.body.error.code).toBe('pins_not_available');
  const view = await h.request('GET', `/v1/voucher-batches/${batch.id}`, { token: OPERATOR_TOKEN });
  expect(view.body).toMatchObject({ count: 3, pinsDownloadable: false, statusCounts: { issued: 3 } });
});

test('an issued voucher is worth nothing; POS activation replayed activates (and books) once', async () => {
  const { pins } = await issue(2, '3000');
  const pin = pins[0]!;
  expect((await h.request('POST', '/v1/vouchers/balance', { body: { pin } })).body).toMatchObject({ status: 'issued', balance: '0' });
  const before = await ledgerCount('voucher_activation');
  const first = await activate(pin, 'till-7:0001');
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ status: 'activated', balance: '3000', pinLast4: pin.slice(-4) });
  const replays = await Promise.all(Array.from({ length: 5 }, () => activate(pin, 'till-7:0001')));
  expect(replays.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  expect(replays[0]!.headers.get('idempotent-replayed')).toBe('true');
  expect(await ledgerCount('voucher_activation')).toBe(before + 1);
  expect((await activate(pin, 'till-7:0002')).body.error.code).toBe('voucher_already_activated');
  expect((await activate(pins[1]!, 'till-7:0001')).body.error.code).toBe('pos_transaction_reused');
  const events = await h.runtime.db.kysely.selectFrom('outbox').select('event_type').where('event_type', '=', 'voucher.activated').execute();
  expect(events.length).toBeGreaterThanOrEqual(1);
  // A key without the pos scope cannot activate.
  const noPos = await activeStoreWithKey(h, ['checkouts:write']);
  expect((await h.request('POST', '/v1/vouchers/activate', { token: noPos.key, body: { pin: pins[1], posTransactionId: 'x' } })).status).toBe(403);
});

test('a partial voucher leaves the rest in crypto, re-quoted and rounded up; cancelling gives it back', async () => {
  const { pins } = await issue(1, '1000');
  await activate(pins[0]!);
  const id = await checkout('4980');
  const before = await h.request('GET', `/v1/checkouts/${id}`, { token: store.key });
  const applied = await h.request('POST', `/v1/checkouts/${id}/tenders`, { token: store.key, body: { pin: pins[0] } });
  expect(applied.status).toBe(201);
  expect(applied.body).toMatchObject({ status: 'new', amountTendered: '1000', amountRemaining: '3980', tenders: [{ kind: 'voucher', amount: '1000', status: 'held' }] });
  // 3980 JPY at 9,000,000 JPY/BTC, rounded up to the satoshi.
  expect(applied.body.payment.amountDue).toBe('0.00044223');
  expect(before.body.payment.amountDue).toBe('0.00055334');
  expect((await h.request('POST', '/v1/vouchers/balance', { body: { pin: pins[0] } })).body).toMatchObject({ status: 'redeemed', balance: '0' });
  expect((await h.request('POST', `/v1/checkouts/${id}/cancel`, { token: store.key })).status).toBe(200);
  expect((await h.request('POST', '/v1/vouchers/balance', { body: { pin: pins[0] } })).body).toMatchObject({ status: 'activated', balance: '1000' });
  expect((await h.request('GET', `/v1/checkouts/${id}`, { token: store.key })).body.tenders[0].status).toBe('released');
});

test('two vouchers covering the price settle the checkout without crypto; the rest of the second is kept', async () => {
  const { pins } = await issue(2, '3000');
  for (const pin of pins) await activate(pin);
  const id = await checkout('4980');
  await h.request('POST', `/v1/checkouts/${id}/tenders`, { token: store.key, body: { pin: pins[0] } });
  const second = await h.request('POST', `/v1/checkouts/${id}/tenders`, { token: store.key, body: { pin: pins[1] } });
  expect(second.body).toMatchObject({ status: 'settled', amountTendered: '4980', amountRemaining: '0', payment: null });
  expect((await h.request('POST', '/v1/vouchers/balance', { body: { pin: pins[1] } })).body).toMatchObject({ status: 'activated', balance: '1020' });
  const again = await h.request('POST', `/v1/checkouts/${id}/tenders`, { token: store.key, body: { pin: pins[1] } });
  expect(again.status).toBe(422);
  expect(again.body.error.code).toBe('tender_not_applicable');
  const settled = await h.runtime.db.kysely.selectFrom('outbox').select(['event_type', 'payload']).where('aggregate_id', '=', id).execute();
  expect(settled.map((e) => e.event_type)).toEqual(expect.arrayContaining(['checkout.processing', 'checkout.settled']));
  // The events carry the tenders that settled it.
  const payload = settled.find((e) => e.event_type === 'checkout.settled')!.payload as { tenders: { kind: string; amountMinor: string }[] };
  expect(payload.tenders.map((t) => [t.kind, String(t.amountMinor)])).toEqual([
    ['voucher', '3000'],
    ['voucher', '1980'],
  ]);
});

test('100 concurrent redemptions of one voucher on 100 checkouts: exactly one succeeds', async () => {
  const { pins } = await issue(1, '3000');
  await activate(pins[0]!);
  const ids = await Promise.all(Array.from({ length: 100 }, () => checkout('4980')));
  const started = Date.now();
  // In-process, each from its own client IP: the brute-force guard is not what is tested here.
  const outcomes = await Promise.allSettled(ids.map((id, i) => h.gateway.services.vouchers.applyToCheckout(id, pins[0]!, `10.1.0.${i}`)));
  const won = outcomes.filter((o) => o.status === 'fulfilled');
  const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as { code?: string }).code] : []));
  console.log(`100 concurrent redemptions: ${won.length} succeeded, ${Date.now() - started} ms`);
  expect(won).toHaveLength(1);
  expect(new Set(refusals)).toEqual(new Set(['voucher_exhausted']));
  const tenders = await h.runtime.db.kysely.selectFrom('checkout_tenders').selectAll().where('voucher_id', 'in', [won[0]!.status === 'fulfilled' ? won[0]!.value.tender.sourceId : '']).execute();
  expect(tenders.map((t) => t.amount_minor)).toEqual(['3000']);
});

test('10,000 wrong PIN guesses: none succeeds and the limiter engages (per IP, per checkout)', async () => {
  const { pins } = await issue(1, '3000');
  await activate(pins[0]!);
  const real = pins[0]!.replace(/ /g, '');
  const id = await checkout('4980');
  const services = h.gateway.services.vouchers;
  const guess = (n: number): string => {
    const payload = String(100_000_000_000_000 + n).slice(0, 15);
    const pin = `${payload}${luhnCheckDigit(payload)}`;
    return pin === real ? guess(n + 1) : pin;
  };
  const started = Date.now();
  const codes = new Map<string, number>();
  let succeeded = 0;
  const count = (code: string): void => void codes.set(code, (codes.get(code) ?? 0) + 1);
  for (let batch = 0; batch < 10_000; batch += 500) {
    const results = await Promise.allSettled(
      Array.from({ length: 500 }, (_v, i) =>
        // Half against the balance page from one IP, half against one checkout from rotating IPs.
        (batch + i) % 2 === 0 ? services.balance(guess(batch + i), '10.9.9.9') : services.applyToCheckout(id, guess(batch + i), `10.8.${(batch + i) % 250}.1`),
      ),
    );
    for (const r of results) {
      if (r.status === 'fulfilled') succeeded += 1;
      else count((r.reason as { code?: string }).code ?? String(r.reason));
    }
  }
  const elapsed = Date.now() - started;
  console.log(`10,000 wrong guesses in ${elapsed} ms: ${JSON.stringify(Object.fromEntries(codes))}`);
  expect(succeeded).toBe(0);
  // 16 per IP on the balance page, 8 for the checkout: every other guess was refused before any PIN check.
  expect(codes.get('voucher_not_found')).toBe(24);
  expect(codes.get('pin_attempts_locked')).toBe(10_000 - 24);
  expect(elapsed).toBeLessThan(60_000);
  // Locked out: even the right PIN is refused for this checkout and this IP now.
  await expect(services.applyToCheckout(id, real, '10.7.7.7')).rejects.toMatchObject({ code: 'pin_attempts_locked' });
  await expect(services.balance(real, '10.9.9.9')).rejects.toMatchObject({ code: 'pin_attempts_locked' });
  // Another client can still check its own voucher.
  await expect(services.balance(real, '10.6.6.6')).resolves.toMatchObject({ balance: '3000' });
}, 60_000);

test('expiry: past expiresAt a voucher is expired, cannot be activated or spent', async () => {
  const { pins } = await issue(2, '3000', new Date(Date.now() + 1_500).toISOString());
  expect((await activate(pins[0]!)).status).toBe(201);
  await new Promise((r) => setTimeout(r, 1_600));
  expect((await h.request('POST', '/v1/vouchers/balance', { body: { pin: pins[0] } })).body).toMatchObject({ status: 'expired' });
  expect((await activate(pins[1]!)).body.error.code).toBe('voucher_expired');
  const id = await checkout('4980');
  const applied = await h.request('POST', `/v1/checkouts/${id}/tenders`, { token: store.key, body: { pin: pins[0] } });
  expect(applied.status).toBe(422);
  expect(applied.body.error.code).toBe('voucher_expired');
  // The sweep marks it expired and writes its balance off the liability (the issued one had none).
  const breakageOf = async (voucherId: string) =>
    (await sql<{ amount: string }>`SELECT e.amount FROM ledger_entries e JOIN ledger_postings p ON p.id = e.posting_id
      WHERE p.kind = 'voucher_breakage' AND p.memo LIKE ${`voucher ${voucherId} %`} AND e.account = 'mall:vouchers:outstanding'`.execute(h.runtime.db.kysely)).rows.map((r) => r.amount);
  // The gateway's sweeper may have been first; either way both end expired, written off once.
  await expireDueVouchers(h.runtime.db, new Date());
  const rows = await h.runtime.db.kysely.selectFrom('vouchers').select(['id', 'status']).where('pin_last4', 'in', pins.map((p) => p.slice(-4))).orderBy('serial').execute();
  expect(rows.map((r) => r.status)).toEqual(['expired', 'expired']);
  expect(await breakageOf(rows[0]!.id)).toEqual(['3000']);
  expect(await breakageOf(rows[1]!.id)).toEqual([]);
  expect(await expireDueVouchers(h.runtime.db, new Date())).toBe(0);
});

test('voiding a batch writes off what activated vouchers still hold; their PINs stop working', async () => {
  const batch = await issue(2, '2000');
  await activate(batch.pins[0]!);
  const id = await checkout('4980');
  await h.request('POST', `/v1/checkouts/${id}/tenders`, { token: store.key, body: { pin: batch.pins[0] } });
  const voided = await h.request('POST', `/v1/voucher-batches/${batch.id}/void`, { token: OPERATOR_TOKEN });
  expect(voided.body.statusCounts).toMatchObject({ voided: 2 });
  expect((await h.request('POST', '/v1/vouchers/balance', { body: { pin: batch.pins[0] } })).body.status).toBe('voided');
  // The held 2000 was already off the card: nothing to write off now; it is when the tender comes back.
  const before = await ledgerCount('voucher_breakage');
  expect((await h.request('POST', `/v1/checkouts/${id}/cancel`, { token: store.key })).status).toBe(200);
  expect(await ledgerCount('voucher_breakage')).toBe(before + 1);
  const trial = await new LedgerRepository(h.runtime.db).trialBalance();
  expect([...trial.values()].every((v) => v === 0n)).toBe(true);
});

test('bad input is a 4xx: malformed PIN, wrong check digit, unknown batch', async () => {
  expect((await h.request('POST', '/v1/vouchers/balance', { body: { pin: '1234' } })).body.error.code).toBe('invalid_pin');
  expect((await h.request('POST', '/v1/vouchers/balance', { body: { pin: '4111111111111112' } })).body.error.code).toBe('invalid_pin');
  expect((await h.request('POST', '/v1/vouchers/balance', { body: {} })).status).toBe(400);
  expect((await h.request('GET', `/v1/voucher-batches/vb_00000000000000000000000000`, { token: OPERATOR_TOKEN })).status).toBe(404);
  expect((await h.request('POST', '/v1/voucher-batches', { token: OPERATOR_TOKEN, body: { count: 0, faceValue: '1', currency: 'JPY', expiresAt: new Date().toISOString() } })).status).toBe(400);
  expect(parseId('co', await checkout('100'))).toBeTruthy();
});

test('the hosted page applies a PIN (same-origin form post) and shows what vouchers pay, in English and Japanese', async () => {
  const { pins } = await issue(1, '1000');
  await activate(pins[0]!);
  const id = await checkout('4980');
  const page = await h.request('GET', `/pay/${id}`);
  expect(page.text).toContain('data-testid="voucher-form"');
  const post = (pin: string, lang = 'en') =>
    fetch(`${h.url}/pay/${id}/voucher?lang=${lang}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://pay.example.test' },
      body: new URLSearchParams({ pin }).toString(),
    });
  const crossSite = await fetch(`${h.url}/pay/${id}/voucher`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    body: new URLSearchParams({ pin: pins[0]! }).toString(),
  });
  expect(crossSite.status).toBe(403);
  const wrong = await post('4111111111111111');
  expect(wrong.status).toBe(404);
  const typo = await post('4111111111111112', 'ja');
  expect(typo.status).toBe(400);
  expect(await typo.text()).toContain('PINが正しくないか');
  const applied = await post(pins[0]!);
  expect(applied.status).toBe(303);
  const after = await h.request('GET', `/pay/${id}`);
  expect(after.text).toContain('data-testid="tenders-applied"');
  expect(after.text).toMatch(/Vouchers and balance pay .*1,000\. Left to pay in crypto: .*3,980\./);
  const ja = await h.request('GET', `/pay/${id}?lang=ja`);
  expect(ja.text).toContain('プリペイドカードと残高で');
  expect((await h.request('GET', `/v1/checkouts/${id}`, { token: store.key })).body.payment.amountDue).toBe('0.00044223');
});

test('the operator dashboard lists batches by status, the liability and the latest tenders', async () => {
  const { pins } = await issue(1, '500');
  await activate(pins[0]!);
  const id = await checkout('4980');
  expect((await h.request('POST', `/v1/checkouts/${id}/tenders`, { token: store.key, body: { pin: pins[0] } })).status).toBe(201);
  const res = await h.request('GET', '/dashboard/vouchers', { token: OPERATOR_TOKEN });
  expect(res.status).toBe(200);
  expect(res.text).toContain('data-testid="voucher-batches"');
  expect(res.text).toContain('data-testid="voucher-tenders"');
  expect(res.text).toContain('data-testid="voucher-liability"');
  const ja = await h.request('GET', '/dashboard/vouchers?lang=ja', { token: OPERATOR_TOKEN });
  expect(ja.text).toContain('プリペイドカード');
  const anonymous = await fetch(`${h.url}/dashboard/vouchers`, { redirect: 'manual' });
  expect(anonymous.status).toBe(303);
  expect(anonymous.headers.get('location')).toContain('sign-in');
});

test('a voucher applied before the asset is chosen: the quote taken later asks crypto for the remainder only', async () => {
  const { pins } = await issue(1, '1000');
  await activate(pins[0]!);
  const created = await h.request('POST', '/v1/checkouts', { token: store.key, body: { orderId: `V-${Math.random()}`, amount: '4980', currency: 'JPY' } });
  const id = created.body.id as string;
  expect((await h.request('POST', `/v1/checkouts/${id}/tenders`, { token: store.key, body: { pin: pins[0] } })).body).toMatchObject({ payment: null, amountRemaining: '3980' });
  const chosen = await fetch(`${h.url}/pay/${id}/asset`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://pay.example.test' },
    body: new URLSearchParams({ asset: 'BTC' }).toString(),
  });
  expect(chosen.status).toBe(303);
  const view = (await h.request('GET', `/v1/checkouts/${id}`, { token: store.key })).body;
  // 3980 JPY at 9,000,000 JPY/BTC, rounded up; the quote itself is for the whole price.
  expect(view.payment.amountDue).toBe('0.00044223');
  expect(view.amountTendered).toBe('1000');
});
