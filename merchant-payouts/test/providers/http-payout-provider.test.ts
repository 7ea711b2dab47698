import { makeId, mallFiatCash, parseFiatCurrency, payoutsInTransit, storePayable, type PayoutBatchId, type PayoutId, type PayoutInstruction } from '@coinstile/core';
import { startPostgres, type PostgresServer } from '@coinstile/testkit';
import { batchKysely, HttpPayoutProvider, PayoutBatcher, PayoutOperator, PayoutProviderUnavailableError, reconcilePayouts } from '../../src/payouts-io';
import { startFaultyPayoutApi, type FaultyPayoutApi } from './support/faulty-payout-api';
import { ledgerBalance, openTestDatabase, random, scheduledPayout, storeWith, TestClock } from './support/payout-test-db';

const EUR = parseFiatCurrency('EUR');
let seq = 0;
const instruction = (): PayoutInstruction => ({
  payoutId: makeId('po', Date.now(), random.bytes(10)),
  storeId: makeId('st', Date.now(), random.bytes(10)),
  currency: EUR,
  amountMinor: 1234n + BigInt(++seq),
  account: { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', holderName: 'Kobe Tea House KK' },
  reference: 'Coinstile payout',
});
const batchId = () => makeId('pb', Date.now(), random.bytes(10)) as PayoutBatchId;

describe('HTTP payout API adapter against a faulty local API', () => {
  let api: FaultyPayoutApi;
  let postgres: PostgresServer;

  beforeAll(async () => {
    [api, postgres] = await Promise.all([startFaultyPayoutApi(), startPostgres()]);
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await postgres?.stop();
  });

  const provider = (over: Partial<ConstructorParameters<typeof HttpPayoutProvider>[0]> = {}) =>
    new HttpPayoutProvider({ baseUrl: api.url, apiToken: 'secret-token', allowInsecureHttp: true, timeoutMs: 300, maxAttempts: 4, baseBackoffMs: 10, maxBackoffMs: 50, ...over });

  test('refuses a plain-http URL unless allowed', () => {
    expect(() => new HttpPayoutProvider({ baseUrl: 'http://payouts.example.com' })).toThrow(/https/);
    expect(() => new HttpPayoutProvider({ baseUrl: 'https://payouts.example.com/v1' })).not.toThrow();
  });

  test('a 500, a timeout after the API processed, and a doubled answer each end with exactly one payout at the API', async () => {
    const [failOnce, timeout, twice, normal] = [instruction(), instruction(), instruction(), instruction()];
    api.faults.set(failOnce.payoutId, 'fail_once');
    api.faults.set(timeout.payoutId, 'timeout_after_processing');
    api.faults.set(twice.payoutId, 'answer_twice');
    const answers = await provider().submit(batchId(), [failOnce, timeout, twice, normal]);
    expect(answers.map((a) => [a.payoutId, a.status])).toEqual([failOnce, timeout, twice, normal].map((p) => [p.payoutId, 'submitted']));
    for (const p of [failOnce, timeout, twice, normal]) {
      const made = api.created.get(p.payoutId);
      expect(made).toMatchObject({ key: p.payoutId, currency: 'EUR', amount: (Number(p.amountMinor) / 100).toFixed(2) });
      expect(answers.find((a) => a.payoutId === p.payoutId)?.providerReference).toBe(made?.id);
    }
    expect(api.posts.get(failOnce.payoutId)).toBe(2);
    expect(api.posts.get(timeout.payoutId)).toBe(2);
    expect(api.posts.get(twice.payoutId)).toBe(1);
    expect(new Set(api.authorizations)).toEqual(new Set(['Bearer secret-token']));

    // Submitting the same batch again (a crash before recording): the API creates nothing new.
    const before = api.created.size;
    const again = await provider().submit(batchId(), [failOnce, timeout, twice, normal]);
    expect(again.map((a) => a.status)).toEqual(['submitted', 'submitted', 'submitted', 'submitted']);
    expect(api.created.size).toBe(before);
  });

  test('a connection reset after the API processed, answered by a bare 409 on retry, counts as the earlier request', async () => {
    const p = instruction();
    api.faults.set(p.payoutId, 'reset_then_bare_409');
    const [answer] = await provider().submit(batchId(), [p]);
    expect(answer).toEqual({ payoutId: p.payoutId, status: 'submitted', providerReference: p.payoutId, failureReason: null });
    expect(api.posts.get(p.payoutId)).toBe(2);
    expect(api.created.get(p.payoutId)?.key).toBe(p.payoutId);
  });

  test('422 is a final failure with the API reason; paid at once is paid; an API that stays down is unavailable', async () => {
    const [rejected, paid] = [instruction(), instruction()];
    api.faults.set(rejected.payoutId, 'reject');
    api.faults.set(paid.payoutId, 'paid_at_once');
    const answers = await provider().submit(batchId(), [rejected, paid]);
    expect(answers[0]).toMatchObject({ status: 'failed', failureReason: 'HTTP 422: creditor account closed' });
    expect(answers[1]).toMatchObject({ status: 'paid' });
    const down = instruction();
    api.faults.set(down.payoutId, 'down');
    await expect(provider({ maxAttempts: 3 }).submit(batchId(), [down])).rejects.toThrow(PayoutProviderUnavailableError);
    expect(api.posts.get(down.payoutId)).toBe(3);
    expect(api.created.has(down.payoutId)).toBe(false);
  });

  test('through the batcher: states, ledger and events right; an outage is retried with backoff, held, released by the operator', async () => {
    const db = await openTestDatabase(postgres);
    const clock = new TestClock();
    const store = await storeWith(db, 'EUR');
    const ids = {
      failOnce: await scheduledPayout(db, clock, store, 'EUR', 10_000n),
      timeout: await scheduledPayout(db, clock, store, 'EUR', 20_000n),
      twice: await scheduledPayout(db, clock, store, 'EUR', 30_000n),
      rejected: await scheduledPayout(db, clock, store, 'EUR', 40_000n),
      paid: await scheduledPayout(db, clock, store, 'EUR', 50_000n),
    };
    api.faults.set(ids.failOnce.payoutId, 'fail_once');
    api.faults.set(ids.timeout.payoutId, 'timeout_after_processing');
    api.faults.set(ids.twice.payoutId, 'answer_twice');
    api.faults.set(ids.rejected.payoutId, 'reject');
    api.faults.set(ids.paid.payoutId, 'paid_at_once');
    const batcher = new PayoutBatcher({ db, clock, random, providers: [provider()], maxSubmitAttempts: 3, submitBackoffMs: 1000 });
    const round = await batcher.runOnce();
    expect(round.submitted).toEqual([expect.objectContaining({ result: 'submitted', sent: 4, paid: 1, refused: 1 })]);
    const status = async (id: PayoutId) => (await batchKysely(db).selectFrom('payouts').select(['status', 'provider_reference', 'failure_reason']).where('id', '=', id).executeTakeFirstOrThrow());
    expect((await status(ids.failOnce.payoutId)).status).toBe('sent');
    expect((await status(ids.timeout.payoutId)).status).toBe('sent');
    expect((await status(ids.twice.payoutId)).status).toBe('sent');
    expect(await status(ids.rejected.payoutId)).toMatchObject({ status: 'failed', failure_reason: 'HTTP 422: creditor account closed' });
    expect((await status(ids.paid.payoutId)).status).toBe('paid');
    for (const p of Object.values(ids)) {
      if (p !== ids.rejected) expect(api.created.get(p.payoutId)?.key).toBe(p.payoutId);
    }
    expect(api.created.has(ids.rejected.payoutId)).toBe(false);

    // The API settles two of them later; polling moves them.
    api.created.get(ids.failOnce.payoutId)!.status = 'paid';
    Object.assign(api.created.get(ids.timeout.payoutId)!, { status: 'failed', failureReason: 'AC04 closed account' });
    expect(await batcher.pollSent()).toBe(2);
    expect((await status(ids.failOnce.payoutId)).status).toBe('paid');
    expect(await status(ids.timeout.payoutId)).toMatchObject({ status: 'failed', failure_reason: 'AC04 closed account' });
    expect(await ledgerBalance(db, payoutsInTransit(), 'EUR')).toBe(-ids.twice.amountMinor);
    expect(await ledgerBalance(db, mallFiatCash(), 'EUR')).toBe(-(ids.failOnce.amountMinor + ids.paid.amountMinor));
    expect(await ledgerBalance(db, storePayable(store), 'EUR')).toBe(-(ids.timeout.amountMinor + ids.rejected.amountMinor));
    expect((await reconcilePayouts(db)).discrepancies).toEqual([]);
    const types = (await db.kysely.selectFrom('outbox').select('event_type').where('aggregate_type', '=', 'payout').execute()).map((e) => e.event_type);
    expect(types.filter((t) => t === 'payout.sent')).toHaveLength(4);
    expect(types.filter((t) => t === 'payout.paid')).toHaveLength(2);
    expect(types.filter((t) => t === 'payout.failed')).toHaveLength(2);

    // An outage: the batch is retried with backoff, then held for the operator, then released.
    const down = await scheduledPayout(db, clock, store, 'EUR', 60_000n);
    api.faults.set(down.payoutId, 'down');
    const outage = new PayoutBatcher({ db, clock, random, providers: [provider({ maxAttempts: 1 })], maxSubmitAttempts: 3, submitBackoffMs: 1000 });
    expect((await outage.runOnce()).submitted.map((s) => s.result)).toEqual(['retry_later']);
    expect((await outage.submitDue())).toEqual([]); // backing off
    clock.advance(1000);
    expect((await outage.submitDue()).map((s) => s.result)).toEqual(['retry_later']);
    clock.advance(2000);
    expect((await outage.submitDue()).map((s) => s.result)).toEqual(['held']);
    clock.advance(3_600_000);
    expect(await outage.submitDue()).toEqual([]);
    const [batch] = await batchKysely(db).selectFrom('payout_batches').selectAll().where('status', '=', 'held').execute();
    expect(batch).toMatchObject({ submit_attempts: 3, payout_count: 1 });
    expect(batch?.last_error).toMatch(/HTTP 503/);
    expect(await batchKysely(db).selectFrom('operator_notices').select('kind').where('subject_id', '=', batch!.id).execute()).toEqual([{ kind: 'payout_batch_held' }]);
    expect((await status(down.payoutId)).status).toBe('scheduled');

    api.faults.delete(down.payoutId);
    await new PayoutOperator({ db, clock, random }).retryBatch(batch!.id as PayoutBatchId);
    expect((await outage.submitDue()).map((s) => s.result)).toEqual(['submitted']);
    expect((await status(down.payoutId)).status).toBe('sent');
    expect(api.created.get(down.payoutId)?.amount).toBe((Number(down.amountMinor) / 100).toFixed(2));
    expect((await reconcilePayouts(db)).discrepancies).toEqual([]);
  }, 60_000);
});
