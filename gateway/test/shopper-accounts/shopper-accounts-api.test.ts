import { SettlementProcessor } from '@coinstile/merchant-payouts';
import { type CheckoutId, fiatValueOfCrypto, parseAmount, parseFiatCurrency, shopperBalance, type ShopperAccountId, storePayable, type StoreId } from '@coinstile/core';
import { creditRefundToShopperBalance } from '@coinstile/platform';
import { sql } from 'kysely';
import { activeStoreWithKey, type GatewayHarness, keys, OPERATOR_TOKEN, startHarness, storeBody } from '../support/gateway-harness';

/**
 * Shopper accounts through the real gateway on PostgreSQL and redis-server: the operator's routes, the
 * shopper's access-code routes, the balance as a checkout tender (overdraft within the credit level,
 * refused beyond it, concurrent spends), holds returned on cancel, and the settlement credits (top-ups,
 * over-payments) booked once, with the ledger balanced per currency throughout. On PostgreSQL, and on the
 * embedded PGlite `npm start` uses.
 */
describe.each(['postgres', 'pglite'] as const)('shopper accounts [%s]', (engine) => {
  let h: GatewayHarness;
  let storeId: string;
  let storeKey: string;

  beforeAll(async () => {
    h = await startHarness({ engine, rateLimits: { key: 1_000_000, operator: 1_000_000, ip: 1_000_000 } });
    // The store sells and also receives the mall's top-ups (its LTC wallet on regtest).
    ({ storeId, key: storeKey } = await activeStoreWithKey(h, ['checkouts:read', 'checkouts:write'], storeBody({ wallets: { LTC: { xpub: keys.ltcTpub } } })));
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  async function createAccount(body: Record<string, unknown> = {}): Promise<{ id: string; accessCode: string }> {
    const res = await h.request('POST', '/v1/shopper-accounts', { token: OPERATOR_TOKEN, body: { currency: 'JPY', topUpStoreId: storeId, ...body } });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, accessCode: res.body.accessCode as string };
  }

  /** A JPY checkout of the store, paid in LTC unless `withAsset` is false (the asset is chosen later). */
  async function createCheckout(amount: string, extra: Record<string, unknown> = {}, withAsset = true): Promise<{ status: number; body: any }> {
    const body = { orderId: `SA-${Math.random()}`, amount, currency: 'JPY', ...(withAsset ? { asset: 'LTC' } : {}), ...extra };
    return h.request('POST', '/v1/checkouts', { token: storeKey, body });
  }

  async function statement(id: string, accessCode: string) {
    return h.request('POST', `/v1/shopper-accounts/${id}/statement`, { body: { accessCode } });
  }

  async function pay(id: string, accessCode: string, checkoutId: string) {
    return h.request('POST', `/v1/shopper-accounts/${id}/payments`, { body: { accessCode, checkoutId } });
  }

  const ltc = (text: string): bigint => parseAmount(text, 'LTC');

  /** Sum of every ledger entry per currency: zero everywhere in a balanced ledger. */
  async function trialBalance(): Promise<Record<string, string>> {
    const rows = await sql<{ currency: string; total: string }>`SELECT currency, sum(amount)::text AS total FROM ledger_entries GROUP BY currency`.execute(h.runtime.db.kysely);
    return Object.fromEntries(rows.rows.map((r) => [r.currency, r.total]));
  }

  async function expectLedgerBalanced(): Promise<void> {
    for (const total of Object.values(await trialBalance())) expect(total).toBe('0');
  }

  test('the operator creates an account; the access code is shown once and stored hashed', async () => {
    const created = await h.request('POST', '/v1/shopper-accounts', { token: OPERATOR_TOKEN, body: { currency: 'JPY', creditLevel: '1000', label: 'Aiko', topUpStoreId: storeId } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ currency: 'JPY', balance: '0', creditLevel: '1000', spendable: '1000', overdraft: '0', status: 'active', label: 'Aiko', topUpStoreId: storeId });
    expect(created.body.accessCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$/);
    const read = await h.request('GET', `/v1/shopper-accounts/${created.body.id}`, { token: OPERATOR_TOKEN });
    expect(read.status).toBe(200);
    expect(read.body.accessCode).toBeUndefined();
    const row = await h.runtime.db.kysely.selectFrom('shopper_accounts').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(created.body.accessCode.replace(/-/g, ''));
    expect(row.access_code_hash).toMatch(/^[0-9a-f]{64}$/);
    const listed = await h.request('GET', '/v1/shopper-accounts?limit=100', { token: OPERATOR_TOKEN });
    expect(listed.body.data.map((a: { id: string }) => a.id)).toContain(created.body.id);
    // A store key is not the operator.
    expect((await h.request('POST', '/v1/shopper-accounts', { token: storeKey, body: { currency: 'JPY' } })).status).toBe(403);
  });

  test.each([
    [{ currency: 'JPY', creditLevel: '-1' }, 400],
    [{ currency: 'JPY', creditLevel: '1.5' }, 400],
    [{ currency: 'XXQ' }, 400],
    [{ currency: 'JPY', topUpStoreId: 'st_nope' }, 400],
    [{ currency: 'JPY', unknown: true }, 400],
  ])('a bad account body %p is refused with %i and writes nothing', async (body, status) => {
    const before = await h.runtime.db.kysely.selectFrom('shopper_accounts').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const res = await h.request('POST', '/v1/shopper-accounts', { token: OPERATOR_TOKEN, body });
    expect(res.status).toBe(status);
    const after = await h.runtime.db.kysely.selectFrom('shopper_accounts').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  test('the statement needs the right access code: the same 401 for a wrong code and an unknown account', async () => {
    const { id, accessCode } = await createAccount({ creditLevel: '500' });
    const ok = await statement(id, accessCode.toLowerCase().replace(/-/g, ' '));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id, balance: '0', spendable: '500', history: { data: [], nextCursor: null } });
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const wrong = await statement(id, 'AAAAA-AAAAA-AAAAA-AAAAA');
    const unknown = await statement('acct_01JZZZZZZZZZZZZZZZZZZZZZZZ', accessCode);
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
    expect((await statement(id, '')).status).toBe(400);
  });

  test('the credit level is the overdraft: spent down to −creditLevel, refused beyond it, announced when changed', async () => {
    const { id, accessCode } = await createAccount({ creditLevel: '1500' });
    const first = await createCheckout('1000', {}, false);
    const paid = await pay(id, accessCode, first.body.id);
    expect(paid.status).toBe(200);
    expect(paid.body.paid).toBe('1000');
    // Covered entirely by the balance: settled without crypto.
    expect(paid.body.checkout.status).toBe('settled');
    const second = await createCheckout('4980');
    const partly = await pay(id, accessCode, second.body.id);
    // Only what is left of the credit level: the rest stays due in crypto.
    expect(partly.body.paid).toBe('500');
    expect(ltc(partly.body.checkout.payment.amountDue)).toBeLessThan(ltc(second.body.payment.amountDue));
    const third = await createCheckout('100', {}, false);
    const refused = await pay(id, accessCode, third.body.id);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('insufficient_balance');
    const s = await statement(id, accessCode);
    expect(s.body).toMatchObject({ balance: '-1500', spendable: '0', overdraft: '1500' });
    expect(s.body.history.data.map((e: { reason: string; amount: string }) => [e.reason, e.amount])).toEqual([
      ['checkout_spend', '-500'],
      ['checkout_spend', '-1000'],
    ]);

    const raised = await h.request('PATCH', `/v1/shopper-accounts/${id}/credit-level`, { token: OPERATOR_TOKEN, body: { creditLevel: '1600' } });
    expect(raised.body).toMatchObject({ creditLevel: '1600', spendable: '100' });
    expect((await pay(id, accessCode, third.body.id)).body.paid).toBe('100');
    const events = await h.runtime.db.kysely.selectFrom('outbox').select(['event_type', 'payload']).where('aggregate_id', '=', id).orderBy('id').execute();
    expect(events.map((e) => e.event_type)).toEqual(['shopper.balance_debited', 'shopper.balance_debited', 'shopper.credit_level_changed', 'shopper.balance_debited']);
    expect(events[2]?.payload).toMatchObject({ previousCreditLevelMinor: '1500', creditLevelMinor: '1600' });
    await expectLedgerBalanced();
  });

  test('a balance that covers a whole priced checkout settles it without crypto; released once, nothing left pending', async () => {
    const { id, accessCode } = await createAccount({ creditLevel: '5000' });
    const co = await createCheckout('4980');
    const paid = await pay(id, accessCode, co.body.id);
    expect(paid.body).toMatchObject({ paid: '4980', checkout: { status: 'settled' } });
    const processor = new SettlementProcessor({ db: h.runtime.db, clock: h.runtime.clock, random: h.runtime.random });
    expect(await processor.process(co.body.id as CheckoutId)).toMatchObject({ release: 'released' });
    const sums = await sql<{ account: string; total: string }>`
      SELECT e.account, sum(e.amount)::text AS total FROM ledger_entries e JOIN ledger_postings p ON p.id = e.posting_id
       WHERE p.checkout_id = ${co.body.id} GROUP BY e.account ORDER BY e.account`.execute(h.runtime.db.kysely);
    const byAccount = Object.fromEntries(sums.rows.map((r) => [r.account, r.total]));
    expect(byAccount['mall:shopper_spends_pending']).toBe('0');
    expect(byAccount[shopperBalance(id as ShopperAccountId)]).toBe('4980');
    expect(Object.keys(byAccount).some((a) => a.startsWith('mall:crypto_holdings'))).toBe(false);
    await expectLedgerBalanced();
  });

  test('a checkout the store cancels gives its balance hold back', async () => {
    const { id, accessCode } = await createAccount({ creditLevel: '1500' });
    const co = await createCheckout('2000');
    expect((await pay(id, accessCode, co.body.id)).body.paid).toBe('1500');
    expect((await statement(id, accessCode)).body.balance).toBe('-1500');
    const cancelled = await h.request('POST', `/v1/checkouts/${co.body.id}/cancel`, { token: storeKey });
    expect(cancelled.status).toBe(200);
    const s = await statement(id, accessCode);
    expect(s.body.balance).toBe('0');
    expect(s.body.history.data[0]).toMatchObject({ reason: 'spend_returned', amount: '1500', checkoutId: co.body.id });
    // The store's webhook says which of its checkouts gave the balance back.
    const returned = await sql<{ payload: { reason: string; checkoutId: string | null; storeId: string | null } }>`
      SELECT payload FROM outbox WHERE event_type = 'shopper.balance_credited' AND payload->>'reason' = 'spend_returned'
         AND payload->>'accountId' = ${id}`.execute(h.runtime.db.kysely);
    expect(returned.rows.map((r) => r.payload)).toEqual([expect.objectContaining({ checkoutId: co.body.id, storeId: co.body.storeId })]);
    await expectLedgerBalanced();
  });

  test('concurrent spends of one balance never overdraw past the credit level', async () => {
    const { id, accessCode } = await createAccount({ creditLevel: '5000' });
    const checkouts = await Promise.all(Array.from({ length: 20 }, () => createCheckout('1000', {}, false)));
    const results = await Promise.all(checkouts.map((c) => pay(id, accessCode, c.body.id)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(5);
    expect(ok.every((r) => r.body.paid === '1000')).toBe(true);
    expect(results.filter((r) => r.status !== 200).every((r) => r.status === 422 && r.body.error.code === 'insufficient_balance')).toBe(true);
    const s = await statement(id, accessCode);
    expect(s.body).toMatchObject({ balance: '-5000', spendable: '0' });
    const ledger = await h.runtime.db.kysely
      .selectFrom('ledger_entries')
      .select(sql<string>`sum(amount)::text`.as('total'))
      .where('account', '=', shopperBalance(id as never))
      .executeTakeFirstOrThrow();
    expect(ledger.total).toBe('5000');
    await expectLedgerBalanced();
  }, 60_000);

  test('a checkout links to an account of its currency only', async () => {
    const usd = await createAccount({ currency: 'USD', topUpStoreId: undefined });
    const mismatch = await createCheckout('4980', { shopperAccountId: usd.id });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.error.code).toBe('currency_mismatch');
    // Without a top-up store set by the operator, the account cannot be topped up.
    const noTopUp = await h.request('POST', `/v1/shopper-accounts/${usd.id}/top-ups`, { body: { accessCode: usd.accessCode, amount: '10' } });
    expect(noTopUp.status).toBe(422);
    expect(noTopUp.body.error.code).toBe('top_up_unavailable');
    const missing = await createCheckout('4980', { shopperAccountId: 'acct_01JZZZZZZZZZZZZZZZZZZZZZZZ' });
    expect(missing.status).toBe(404);
    expect((await createCheckout('4980', { shopperAccountId: 'co_01JZZZZZZZZZZZZZZZZZZZZZZZ' })).status).toBe(400);
  });

  /** Marks a checkout settled with `paidBase` received, as the verifier would after confirmations. */
  async function settle(checkoutId: string, paidBase: bigint): Promise<void> {
    await h.runtime.db.kysely
      .updateTable('checkouts')
      .set({ status: 'settled', amount_paid_base: paidBase.toString(), settled_at: new Date(), exception: 'none' })
      .where('id', '=', checkoutId)
      .execute();
  }

  test('settlement credits a top-up (the overdraft is repaid first; nothing is released) and an over-payment, each once', async () => {
    const { id, accessCode } = await createAccount({ creditLevel: '1000' });
    const spent = await createCheckout('800', {}, false);
    await pay(id, accessCode, spent.body.id);

    const topUp = await h.request('POST', `/v1/shopper-accounts/${id}/top-ups`, { body: { accessCode, amount: '3000', asset: 'LTC' } });
    expect(topUp.status).toBe(201);
    expect(topUp.body).toMatchObject({ status: 'new', currency: 'JPY', payment: { asset: 'LTC' } });
    // A top-up is paid in crypto only: refused by the API, and its page offers no balance.
    expect((await pay(id, accessCode, topUp.body.id)).body.error.code).toBe('top_up_needs_crypto');
    const topUpPage = await (await fetch(`${h.url}/pay/${topUp.body.id}`)).text();
    expect(topUpPage).toContain('data-testid="state-pay"');
    expect(topUpPage).not.toContain('data-testid="balance-form"');

    const sale = await createCheckout('4980', { shopperAccountId: id });
    expect(sale.status).toBe(201);
    const processor = new SettlementProcessor({ db: h.runtime.db, clock: h.runtime.clock, random: h.runtime.random });
    const topUpDue = ltc(topUp.body.payment.amountDue);
    const saleDue = ltc(sale.body.payment.amountDue);
    await settle(topUp.body.id, topUpDue);
    // 0.01 LTC over, credited at the checkout's own rate, rounded down.
    await settle(sale.body.id, saleDue + 1_000_000n);
    const first = await processor.processMany([topUp.body.id as CheckoutId, sale.body.id as CheckoutId]);
    expect(first.get(topUp.body.id)).toEqual({ release: 'top_up_credited', payout: 'none' });
    expect(first.get(sale.body.id)).toMatchObject({ release: 'released' });
    const again = await processor.processMany([topUp.body.id as CheckoutId, sale.body.id as CheckoutId]);
    expect(again.get(topUp.body.id)).toEqual({ release: 'top_up_already_credited', payout: 'none' });

    const released = await h.runtime.db.kysely.selectFrom('order_releases' as never).select('checkout_id' as never).where('checkout_id' as never, '=', topUp.body.id as never).execute();
    expect(released).toEqual([]);
    const s = await statement(id, accessCode);
    const history = s.body.history.data as { reason: string; amount: string }[];
    expect(history.map((e) => e.reason)).toEqual(['over_payment', 'top_up', 'checkout_spend']);
    const topUpCredit = Number(history[1]!.amount);
    const overCredit = Number(history[0]!.amount);
    expect(topUpCredit).toBeGreaterThanOrEqual(3000);
    expect(overCredit).toBe(Number(fiatValueOfCrypto(1_000_000n, 'LTC', parseFiatCurrency('JPY'), sale.body.payment.rate)));
    expect(overCredit).toBeGreaterThan(0);
    expect(topUpCredit).toBe(Number(fiatValueOfCrypto(topUpDue, 'LTC', parseFiatCurrency('JPY'), topUp.body.payment.rate)));
    expect(Number(s.body.balance)).toBe(-800 + topUpCredit + overCredit);
    expect(s.body).toMatchObject({ overdraft: '0', spendable: String(-800 + topUpCredit + overCredit + 1000) });
    // The top-up repaid the 800 overdraft first; only the rest added to the balance.
    expect(history.map((e) => [e.reason, (e as { balanceAfter?: string }).balanceAfter, (e as { overdraftRepaid?: string }).overdraftRepaid])).toEqual([
      ['over_payment', String(-800 + topUpCredit + overCredit), '0'],
      ['top_up', String(-800 + topUpCredit), '800'],
      ['checkout_spend', '-800', '0'],
    ]);
    const events = await h.runtime.db.kysely.selectFrom('outbox').select('event_type').where('aggregate_id', '=', id).orderBy('id').execute();
    expect(events.map((e) => e.event_type)).toEqual(['shopper.balance_debited', 'shopper.balance_credited', 'shopper.balance_credited']);
    // Each names the store whose checkout moved the balance, so that store's webhooks receive it.
    const credited = await h.runtime.db.kysely.selectFrom('outbox').select('payload').where('aggregate_id', '=', id).where('event_type', '=', 'shopper.balance_credited').orderBy('id').execute();
    expect(credited.map((e) => e.payload)).toEqual([
      expect.objectContaining({ type: 'shopper.balance_credited', reason: 'top_up', storeId, checkoutId: topUp.body.id, accountId: id, currency: 'JPY', amountMinor: String(topUpCredit) }),
      expect.objectContaining({ type: 'shopper.balance_credited', reason: 'over_payment', storeId, checkoutId: sale.body.id, amountMinor: String(overCredit) }),
    ]);
    await expectLedgerBalanced();
  });

  test('closing needs a zero balance; a closed account is not reopened and cannot be linked', async () => {
    const { id, accessCode } = await createAccount({ creditLevel: '100' });
    const co = await createCheckout('100', {}, false);
    await pay(id, accessCode, co.body.id);
    const refused = await h.request('PATCH', `/v1/shopper-accounts/${id}/status`, { token: OPERATOR_TOKEN, body: { status: 'closed' } });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('balance_not_zero');
    const frozen = await h.request('PATCH', `/v1/shopper-accounts/${id}/status`, { token: OPERATOR_TOKEN, body: { status: 'frozen' } });
    expect(frozen.body).toMatchObject({ status: 'frozen', spendable: '0' });
    expect((await pay(id, accessCode, (await createCheckout('100', {}, false)).body.id)).body.error.code).toBe('shopper_account_not_usable');

    const empty = await createAccount();
    expect((await h.request('PATCH', `/v1/shopper-accounts/${empty.id}/status`, { token: OPERATOR_TOKEN, body: { status: 'closed' } })).body.status).toBe('closed');
    const reopen = await h.request('PATCH', `/v1/shopper-accounts/${empty.id}/status`, { token: OPERATOR_TOKEN, body: { status: 'active' } });
    expect(reopen.body.error.code).toBe('shopper_account_closed');
    expect((await createCheckout('100', { shopperAccountId: empty.id })).body.error.code).toBe('shopper_account_not_usable');

    // Closed after a sale was linked to it: that sale's over-payment stays with the mall, the account stays at zero.
    const later = await createAccount();
    const sale = await createCheckout('1000', { shopperAccountId: later.id });
    await h.request('PATCH', `/v1/shopper-accounts/${later.id}/status`, { token: OPERATOR_TOKEN, body: { status: 'closed' } });
    await settle(sale.body.id, ltc(sale.body.payment.amountDue) + 1_000_000n);
    const processor = new SettlementProcessor({ db: h.runtime.db, clock: h.runtime.clock, random: h.runtime.random });
    expect(await processor.process(sale.body.id as CheckoutId)).toMatchObject({ release: 'released' });
    expect((await h.request('GET', `/v1/shopper-accounts/${later.id}`, { token: OPERATOR_TOKEN })).body).toMatchObject({ status: 'closed', balance: '0' });
    await expectLedgerBalanced();
  });

  describe('the hosted page offers the balance', () => {
    const postForm = (path: string, form: Record<string, string>) =>
      fetch(`${h.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://pay.example.test' },
        body: new URLSearchParams(form).toString(),
      });

    test('in English and Japanese; a right code pays part, a wrong one is refused with a page', async () => {
      const { id, accessCode } = await createAccount({ creditLevel: '1000' });
      const co = await createCheckout('4980');
      const en = await (await fetch(`${h.url}/pay/${co.body.id}?lang=en`)).text();
      expect(en).toContain('data-testid="balance-form"');
      expect(en).toContain('Pay with your balance');
      expect(await (await fetch(`${h.url}/pay/${co.body.id}?lang=ja`)).text()).toContain('残高で支払う');

      const wrong = await postForm(`/pay/${co.body.id}/balance?lang=ja`, { account: id, code: 'AAAAA-AAAAA-AAAAA-AAAAA' });
      expect(wrong.status).toBe(401);
      expect(await wrong.text()).toContain('アクセスコードが正しくない');
      const malformed = await postForm(`/pay/${co.body.id}/balance`, { account: 'nonsense', code: accessCode });
      expect(malformed.status).toBe(401);

      const paid = await postForm(`/pay/${co.body.id}/balance?lang=en`, { account: ` ${id} `, code: accessCode });
      expect(paid.status).toBe(303);
      expect(paid.headers.get('location')).toBe(`/pay/${co.body.id}?lang=en`);
      expect((await statement(id, accessCode)).body.balance).toBe('-1000');
      const again = await postForm(`/pay/${co.body.id}/balance?lang=en`, { account: id, code: accessCode });
      expect(again.status).toBe(422);
      expect(await again.text()).toContain('cannot pay anything more');
      const view = await h.request('GET', `/v1/checkouts/${co.body.id}`, { token: storeKey });
      expect(ltc(view.body.payment.amountDue)).toBeLessThan(ltc(co.body.payment.amountDue));

      const crossSite = await fetch(`${h.url}/pay/${co.body.id}/balance`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
        body: new URLSearchParams({ account: id, code: accessCode }).toString(),
      });
      expect(crossSite.status).toBe(403);
    });
  });

  test('the dashboard lists accounts with balance, credit level and overdraft, and the latest movements', async () => {
    const { id, accessCode } = await createAccount({ creditLevel: '700', label: 'Dashboard shopper' });
    await pay(id, accessCode, (await createCheckout('300', {}, false)).body.id);
    const page = await fetch(`${h.url}/dashboard/shopper-accounts?lang=en`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(page.status).toBe(200);
    const body = await page.text();
    const row = body.slice(body.indexOf(id), body.indexOf('</tr>', body.indexOf(id)));
    expect(row).toContain('Dashboard shopper');
    expect(row).toMatch(/-¥300|¥-300|−¥300/);
    expect(row).toContain('¥700');
    expect(body).toContain('data-testid="shopper-movements"');
    expect(body).toContain('shopper_balance_hold');
    expect((await fetch(`${h.url}/dashboard/shopper-accounts`, { redirect: 'manual' })).status).toBe(303);
    expect(await (await fetch(`${h.url}/dashboard/shopper-accounts?lang=ja`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } })).text()).toContain('与信枠');
  });

  test('a refund paid into the balance (the refund flow\'s port) debits the store and credits the shopper once', async () => {
    const { id, accessCode } = await createAccount({ creditLevel: '500' });
    await pay(id, accessCode, (await createCheckout('500', {}, false)).body.id);
    const deps = { db: h.runtime.db, clock: h.runtime.clock, random: h.runtime.random };
    const input = { accountId: id as ShopperAccountId, storeId: storeId as StoreId, checkoutId: null, currency: parseFiatCurrency('JPY'), amountMinor: 800n, from: 'payable' as const, dedupeKey: `shopper_refund:test-${id}` };
    const first = await h.runtime.db.transaction((trx) => creditRefundToShopperBalance(trx, deps, input));
    expect(first).toEqual({ balanceAfterMinor: 300n, booked: true });
    const again = await h.runtime.db.transaction((trx) => creditRefundToShopperBalance(trx, deps, input));
    expect(again).toEqual({ balanceAfterMinor: 300n, booked: false });
    const s = await statement(id, accessCode);
    expect(s.body).toMatchObject({ balance: '300', overdraft: '0' });
    expect(s.body.history.data[0]).toMatchObject({ reason: 'refund', amount: '800', balanceAfter: '300', overdraftRepaid: '500' });
    const payable = await h.runtime.db.kysely
      .selectFrom('ledger_entries')
      .innerJoin('ledger_postings', 'ledger_postings.id', 'ledger_entries.posting_id')
      .select(['ledger_entries.amount'])
      .where('ledger_postings.dedupe_key', '=', input.dedupeKey)
      .where('ledger_entries.account', '=', storePayable(storeId as StoreId))
      .execute();
    expect(payable).toEqual([{ amount: '800' }]);
    const usd = { ...input, currency: parseFiatCurrency('USD'), dedupeKey: `shopper_refund:usd-${id}` };
    await expect(h.runtime.db.transaction((trx) => creditRefundToShopperBalance(trx, deps, usd))).rejects.toMatchObject({ code: 'currency_mismatch' });
    await expectLedgerBalanced();
  });
});
