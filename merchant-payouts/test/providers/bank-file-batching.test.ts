import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mallFiatCash, payoutsInTransit, storePayable, type PayoutId } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import { startPostgres, type PostgresServer } from '@coinstile/testkit';
import {
  BankFilePayoutProvider,
  batchKysely,
  exportPayoutsCsv,
  ManualPayoutProvider,
  PayoutBatcher,
  PayoutOperator,
  PayoutStateConflictError,
  readPain001,
  reconcilePayouts,
} from '../../src/payouts-io';
import { ledgerBalance, openTestDatabase, random, scheduledPayout, storeWith, TestClock, xmllint } from './support/payout-test-db';

const debtorAccounts = {
  EUR: { name: 'Coinstile Mall GmbH', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' },
  '*': { name: 'Coinstile Mall GmbH', iban: 'DE02120300000000202051', bic: 'BYLADEM1001' },
};

describe('payout batching into pain.001 bank files (real Postgres)', () => {
  let postgres: PostgresServer;
  let dir: string;

  beforeAll(async () => {
    postgres = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'coinstile-bank-files-'));
  }, 60_000);

  afterAll(async () => {
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function setup(name: string) {
    const db = await openTestDatabase(postgres);
    const clock = new TestClock();
    const directory = join(dir, name);
    const bankFiles = new BankFilePayoutProvider({ directory, debtorAccounts, initiatingPartyName: 'Coinstile Mall', clock });
    const batcher = (extra: Partial<ConstructorParameters<typeof PayoutBatcher>[0]> = {}) =>
      new PayoutBatcher({ db, clock, random, providers: [bankFiles, new ManualPayoutProvider()], ...extra });
    return { db, clock, directory, batcher, operator: new PayoutOperator({ db, clock, random }) };
  }

  const statusOf = async (db: Database, id: string) =>
    (await batchKysely(db).selectFrom('payouts').select(['status', 'batch_id', 'failure_reason', 'attempt']).where('id', '=', id).executeTakeFirstOrThrow());

  test('mixed currencies → one file per currency with the right sums; xmllint passes; payouts sent, ledger in transit, reconciliation clean', async () => {
    const { db, clock, directory, batcher } = await setup('mixed');
    const eurStore = await storeWith(db, 'EUR', { iban: 'FR1420041010050500013M02606', bic: 'PSSTFRPPXXX', holderName: 'Café Ünter den Linden & Co' });
    const eurNoBic = await storeWith(db, 'EUR', { kind: 'iban', iban: 'NL91ABNA0417164300', holderName: 'Tulip BV' });
    const jpyStore = await storeWith(db, 'JPY');
    const usdStore = await storeWith(db, 'USD', { iban: 'GB29NWBK60161331926819', bic: 'NWBKGB2LXXX', holderName: 'London Tea Ltd' });
    const payouts = [
      { ...(await scheduledPayout(db, clock, eurStore, 'EUR', 12_345n)), currency: 'EUR' },
      { ...(await scheduledPayout(db, clock, eurNoBic, 'EUR', 990n)), currency: 'EUR' },
      { ...(await scheduledPayout(db, clock, eurStore, 'EUR', 100_000n)), currency: 'EUR' },
      { ...(await scheduledPayout(db, clock, jpyStore, 'JPY', 4980n)), currency: 'JPY' },
      { ...(await scheduledPayout(db, clock, jpyStore, 'JPY', 120_000n)), currency: 'JPY' },
      { ...(await scheduledPayout(db, clock, usdStore, 'USD', 2_500n)), currency: 'USD' },
    ];
    const round = await batcher().runOnce();
    expect(round.batches).toBe(3);
    expect(round.submitted.map((s) => s.result)).toEqual(['submitted', 'submitted', 'submitted']);

    const files = readdirSync(directory).filter((f) => f.endsWith('.pain001.xml'));
    expect(files).toHaveLength(3);
    expect(readdirSync(directory).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await xmllint(...files.map((f) => join(directory, f)))).toBe('');
    const byCurrency = new Map(files.map((f) => {
      const file = readPain001(readFileSync(join(directory, f), 'utf8'));
      return [file.currency as string, file] as const;
    }));
    for (const currency of ['EUR', 'JPY', 'USD']) {
      const expected = payouts.filter((p) => p.currency === currency);
      const file = byCurrency.get(currency)!;
      expect(new Set(file.transfers.map((t) => t.payoutId))).toEqual(new Set(expected.map((p) => p.payoutId)));
      expect(file.totalMinor).toBe(expected.reduce((s, p) => s + p.amountMinor, 0n));
      for (const t of file.transfers) expect(t.amountMinor).toBe(expected.find((p) => p.payoutId === t.payoutId)!.amountMinor);
    }
    expect(byCurrency.get('EUR')!.transfers.find((t) => t.creditorName.startsWith('Cafe'))?.creditorName).toBe('Cafe Unter den Linden + Co');

    for (const p of payouts) expect((await statusOf(db, p.payoutId)).status).toBe('sent');
    const eurTotal = payouts.filter((p) => p.currency === 'EUR').reduce((s, p) => s + p.amountMinor, 0n);
    expect(await ledgerBalance(db, payoutsInTransit(), 'EUR')).toBe(-eurTotal);
    const events = await db.kysely.selectFrom('outbox').select(['event_id', 'event_type', 'payload']).where('event_type', '=', 'payout.sent').execute();
    expect(events).toHaveLength(payouts.length);
    // The payload is a PayoutStatusEvent as toJsonValue writes it (amounts as decimal strings, ISO times).
    const first = payouts[0]!;
    const firstRow = await batchKysely(db).selectFrom('payouts').selectAll().where('id', '=', first.payoutId).executeTakeFirstOrThrow();
    expect(events.find((e) => e.event_id === `${first.payoutId}:payout.sent:1`)?.payload).toEqual({
      type: 'payout.sent',
      payoutId: first.payoutId,
      storeId: eurStore,
      checkoutId: firstRow.checkout_id,
      status: 'sent',
      amountMinor: String(firstRow.amount_minor),
      currency: 'EUR',
      attempt: 1,
      batchId: firstRow.batch_id,
      provider: 'bank_file',
      providerReference: firstRow.provider_reference,
      failureReason: null,
      occurredAt: clock.now().toISOString(),
    });
    expect(firstRow.batch_id).toMatch(/^pb_/);
    expect(firstRow.provider_reference).not.toBeNull();

    const report = await reconcilePayouts(db, { bankFileDirectory: directory });
    expect(report.discrepancies).toEqual([]);
    expect(report.clean).toBe(true);
    const eur = report.currencies.find((c) => c.currency === 'EUR')!;
    expect(eur.payouts.sent).toEqual({ count: 3, amountMinor: eurTotal });
    expect(eur.ledger.payoutsInTransitMinor).toBe(eurTotal);
    expect(eur.bankFiles).toEqual({ files: 1, transfers: 3, totalMinor: eurTotal, expectedTotalMinor: eurTotal });

    // Another round batches nothing again and writes no file.
    const again = await batcher().runOnce();
    expect(again.batches).toBe(0);
    expect(readdirSync(directory).filter((f) => f.endsWith('.pain001.xml'))).toHaveLength(3);
  });

  test('concurrent batchers claim disjoint sets: every payout in exactly one batch and one file', async () => {
    const { db, clock, directory, batcher } = await setup('concurrent');
    const store = await storeWith(db, 'EUR');
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await scheduledPayout(db, clock, store, 'EUR', 1000n + BigInt(i))).payoutId);
    const batchers = Array.from({ length: 4 }, () => batcher({ maxBatchSize: 7 }));
    await Promise.all(batchers.map((b) => b.createBatches()));
    await Promise.all(batchers.map((b) => b.submitDue()));
    const items = await batchKysely(db).selectFrom('payout_batch_items').select(['payout_id', 'batch_id']).execute();
    expect(items).toHaveLength(60);
    expect(new Set(items.map((i) => i.payout_id)).size).toBe(60);
    const seen = new Map<string, number>();
    for (const f of readdirSync(directory).filter((f) => f.endsWith('.pain001.xml'))) {
      for (const t of readPain001(readFileSync(join(directory, f), 'utf8')).transfers) seen.set(t.payoutId, (seen.get(t.payoutId) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([...ids].sort());
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    const batches = await batchKysely(db).selectFrom('payout_batches').select(['status', 'payout_count']).execute();
    expect(batches.every((b) => b.status === 'submitted' && b.payout_count <= 7)).toBe(true);
    expect((await reconcilePayouts(db, { bankFileDirectory: directory })).discrepancies).toEqual([]);
  });

  test('concurrent rounds, each submitting beside its own claims: every payout in exactly one batch, file, posting and event', async () => {
    const { db, clock, directory, batcher } = await setup('concurrent-rounds');
    const stores = [await storeWith(db, 'EUR'), await storeWith(db, 'USD')];
    const ids: string[] = [];
    for (let i = 0; i < 80; i++) ids.push((await scheduledPayout(db, clock, stores[i % 2]!, i % 2 === 0 ? 'EUR' : 'USD', 2000n + BigInt(i))).payoutId);
    const rounds = await Promise.all(Array.from({ length: 3 }, () => batcher({ maxBatchSize: 6, submitConcurrency: 2 }).runOnce()));
    expect(rounds.flatMap((r) => r.submitted).reduce((n, s) => n + s.sent, 0)).toBe(80);
    const seen = new Map<string, number>();
    for (const f of readdirSync(directory).filter((f) => f.endsWith('.pain001.xml'))) {
      for (const t of readPain001(readFileSync(join(directory, f), 'utf8')).transfers) seen.set(t.payoutId, (seen.get(t.payoutId) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([...ids].sort());
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    for (const id of ids) expect((await statusOf(db, id)).status).toBe('sent');
    const postings = await db.kysely.selectFrom('ledger_postings').select('payout_id').where('kind', '=', 'payout_scheduled').execute();
    expect(postings.map((p) => p.payout_id).sort()).toEqual([...ids].sort());
    const events = await db.kysely.selectFrom('outbox').select('aggregate_id').where('event_type', '=', 'payout.sent').execute();
    expect(events.map((e) => e.aggregate_id).sort()).toEqual([...ids].sort());
    const batches = await batchKysely(db).selectFrom('payout_batches').select(['status', 'payout_count']).execute();
    expect(batches.every((b) => b.status === 'submitted' && b.payout_count > 0 && b.payout_count <= 6)).toBe(true);
    expect(batches.reduce((n, b) => n + b.payout_count, 0)).toBe(80);
    expect((await reconcilePayouts(db, { bankFileDirectory: directory })).discrepancies).toEqual([]);
  });

  test('only active stores are paid: a suspended store\'s payout stays scheduled until the store is verified again', async () => {
    const { db, clock, batcher } = await setup('suspended');
    const store = await storeWith(db, 'EUR');
    const { payoutId } = await scheduledPayout(db, clock, store, 'EUR', 5_000n);
    await db.kysely.updateTable('stores').set({ status: 'suspended' }).where('id', '=', store).execute();
    expect((await batcher().runOnce()).batches).toBe(0);
    expect((await statusOf(db, payoutId)).status).toBe('scheduled');
    await db.kysely.updateTable('stores').set({ status: 'active' }).where('id', '=', store).execute();
    expect((await batcher().runOnce()).batches).toBe(1);
    expect((await statusOf(db, payoutId)).status).toBe('sent');
  });

  test('refusals: jp_zengin accounts and non-Latin names fail with a reason, an event and an operator notice; nothing is booked', async () => {
    const { db, clock, directory, batcher } = await setup('refusals');
    const zengin = await storeWith(db, 'JPY', { kind: 'jp_zengin', bankCode: '0001', branchCode: '001', accountType: 'ordinary', accountNumber: '1234567', holderNameKana: 'ｺｳﾍﾞﾃｲ' });
    const kanji = await storeWith(db, 'JPY', { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', holderName: '神戸茶房' });
    const fine = await storeWith(db, 'JPY');
    const z = await scheduledPayout(db, clock, zengin, 'JPY', 5000n);
    const k = await scheduledPayout(db, clock, kanji, 'JPY', 6000n);
    const ok = await scheduledPayout(db, clock, fine, 'JPY', 7000n);
    await batcher().runOnce();
    const zRow = await statusOf(db, z.payoutId);
    expect(zRow.status).toBe('failed');
    expect(zRow.batch_id).toBeNull();
    expect(zRow.failure_reason).toMatch(/^unsupported_account: .*Zengin/);
    const kRow = await statusOf(db, k.payoutId);
    expect(kRow.status).toBe('failed');
    expect(kRow.failure_reason).toMatch(/^name_not_representable/);
    expect((await statusOf(db, ok.payoutId)).status).toBe('sent');
    const notices = await batchKysely(db).selectFrom('operator_notices').select(['kind', 'subject_id']).execute();
    expect(notices.map((n) => n.subject_id).sort()).toEqual([z.payoutId, k.payoutId].sort());
    expect(await db.kysely.selectFrom('outbox').select('event_id').where('event_type', '=', 'payout.failed').execute()).toHaveLength(2);
    // Still owed to the stores: nothing moved in the ledger for the refused payouts.
    expect(await ledgerBalance(db, storePayable(zengin), 'JPY')).toBe(-z.amountMinor);
    expect(await ledgerBalance(db, storePayable(kanji), 'JPY')).toBe(-k.amountMinor);
    const file = readdirSync(directory).filter((f) => f.endsWith('.pain001.xml'));
    expect(file).toHaveLength(1);
    expect(readPain001(readFileSync(join(directory, file[0]!), 'utf8')).transfers.map((t) => t.payoutId)).toEqual([ok.payoutId]);
    expect((await reconcilePayouts(db, { bankFileDirectory: directory })).discrepancies).toEqual([]);
  });

  test('a refusal outside any batch waits for a claim in flight and leaves the payout to that batch', async () => {
    const { db, clock, batcher } = await setup('refusal-vs-claim');
    const store = await storeWith(db, 'EUR');
    const { payoutId, amountMinor } = await scheduledPayout(db, clock, store, 'EUR', 9_000n);
    const batchId = 'pb_01JD0000000000000000000042';
    // Another batcher has claimed the payout and not committed yet.
    let commitClaim!: () => void;
    let claimWritten!: () => void;
    const written = new Promise<void>((resolve) => (claimWritten = resolve));
    const claim = db.transaction(async (trx) => {
      const now = clock.now();
      await batchKysely(trx)
        .insertInto('payout_batches')
        .values({ id: batchId, provider: 'bank_file', currency: 'EUR', status: 'pending', payout_count: 1, total_minor: amountMinor.toString(), submit_attempts: 0, next_attempt_at: now, last_error: null, created_at: now, submitted_at: null, updated_at: now })
        .execute();
      await batchKysely(trx)
        .insertInto('payout_batch_items')
        .values({ batch_id: batchId, payout_id: payoutId, attempt: 1, amount_minor: amountMinor.toString(), outcome: 'pending', provider_reference: null })
        .execute();
      claimWritten();
      await new Promise<void>((resolve) => (commitClaim = resolve));
    });
    await written;
    // Meanwhile the store's account becomes one no bank file can pay: this round would refuse the payout.
    await db.kysely.updateTable('stores').set({ payout_account: JSON.stringify({ kind: 'jp_zengin', bankCode: '0001', branchCode: '001', accountType: 'ordinary', accountNumber: '1234567', holderNameKana: 'ｺｳﾍﾞ' }) }).where('id', '=', store).execute();
    let roundDone = false;
    const round = batcher().createBatches().finally(() => (roundDone = true));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(roundDone).toBe(false);
    commitClaim();
    await claim;
    expect(await round).toEqual([]);
    expect(await statusOf(db, payoutId)).toMatchObject({ status: 'scheduled', batch_id: null });
    expect(await db.kysely.selectFrom('outbox').select('event_id').where('event_type', '=', 'payout.failed').execute()).toEqual([]);

    // The batch that claimed it decides: it refuses the payout at submission, in that batch.
    const [outcome] = await batcher().submitDue();
    expect(outcome).toMatchObject({ batchId, sent: 0, refused: 1 });
    const row = await statusOf(db, payoutId);
    expect(row).toMatchObject({ status: 'failed', batch_id: batchId });
    expect(row.failure_reason).toMatch(/^unsupported_account/);
  });

  test('manual marking: paid, failed, returned, retried into a new batch; ledger balances per currency; wrong-state marks are 409', async () => {
    const { db, clock, directory, batcher, operator } = await setup('manual');
    const store = await storeWith(db, 'EUR');
    const usdStore = await storeWith(db, 'USD');
    const paid = await scheduledPayout(db, clock, store, 'EUR', 10_000n);
    const failed = await scheduledPayout(db, clock, store, 'EUR', 20_000n);
    const returned = await scheduledPayout(db, clock, store, 'EUR', 30_000n);
    const usd = await scheduledPayout(db, clock, usdStore, 'USD', 40_000n);
    await batcher().runOnce();

    await operator.markPaid(paid.payoutId, 'bank statement 2026-11-21');
    await operator.markPaid(returned.payoutId);
    await operator.markPaid(usd.payoutId);
    await operator.markFailed(failed.payoutId, 'AC04 account closed');
    await operator.markReturned(returned.payoutId, 'MD07 beneficiary deceased');
    await expect(operator.markPaid(paid.payoutId)).rejects.toThrow(PayoutStateConflictError);
    await expect(operator.markPaid(failed.payoutId)).rejects.toMatchObject({ httpStatus: 409, code: 'payout_state_conflict' });
    await expect(operator.retry(paid.payoutId)).rejects.toThrow(PayoutStateConflictError);
    await expect(operator.markPaid('po_01JD00000000000000000000XX' as PayoutId)).rejects.toMatchObject({ httpStatus: 404 });

    expect(await ledgerBalance(db, payoutsInTransit(), 'EUR')).toBe(0n);
    expect(await ledgerBalance(db, mallFiatCash(), 'EUR')).toBe(-paid.amountMinor);
    expect(await ledgerBalance(db, mallFiatCash(), 'USD')).toBe(-usd.amountMinor);
    expect(await ledgerBalance(db, storePayable(store), 'EUR')).toBe(-(failed.amountMinor + returned.amountMinor));
    expect(await ledgerBalance(db, storePayable(usdStore), 'USD')).toBe(0n);
    const trial = await db.kysely.selectFrom('ledger_entries').select(['currency', (eb) => eb.fn.sum<string>('amount').as('t')]).groupBy('currency').execute();
    for (const row of trial) expect(BigInt(row.t)).toBe(0n);
    expect((await reconcilePayouts(db, { bankFileDirectory: directory })).discrepancies).toEqual([]);

    // The operator retries both: a new attempt each, in a new batch and file; the old file is kept.
    const firstBatch = (await statusOf(db, failed.payoutId)).batch_id;
    await operator.retry(failed.payoutId);
    await operator.retry(returned.payoutId);
    const round = await batcher().runOnce();
    expect(round.batches).toBe(1);
    const retried = await statusOf(db, failed.payoutId);
    expect(retried).toMatchObject({ status: 'sent', attempt: 2, failure_reason: null });
    expect(retried.batch_id).not.toBe(firstBatch);
    await operator.markPaid(failed.payoutId);
    await operator.markPaid(returned.payoutId);
    expect(await ledgerBalance(db, storePayable(store), 'EUR')).toBe(0n);
    expect(await ledgerBalance(db, mallFiatCash(), 'EUR')).toBe(-(paid.amountMinor + failed.amountMinor + returned.amountMinor));
    const events = (await db.kysely.selectFrom('outbox').select('event_id').where('aggregate_id', '=', failed.payoutId).orderBy('id').execute()).map((e) => e.event_id);
    expect(events).toEqual([
      expect.stringMatching(/^co_.*:payout\.scheduled$/),
      `${failed.payoutId}:payout.sent:1`,
      `${failed.payoutId}:payout.failed:1`,
      `${failed.payoutId}:payout.scheduled:2`,
      `${failed.payoutId}:payout.sent:2`,
      `${failed.payoutId}:payout.paid:2`,
    ]);
    const report = await reconcilePayouts(db, { bankFileDirectory: directory });
    expect(report.discrepancies).toEqual([]);
    expect(report.currencies.find((c) => c.currency === 'EUR')!.ledger.paidMinor).toBe(paid.amountMinor + failed.amountMinor + returned.amountMinor);
  });

  test('reconciliation finds injected discrepancies: a forged amount in a file, a missing file, a ledger posting that does not match', async () => {
    const { db, clock, directory, batcher } = await setup('discrepancies');
    const store = await storeWith(db, 'EUR');
    const a = await scheduledPayout(db, clock, store, 'EUR', 10_000n);
    await scheduledPayout(db, clock, store, 'EUR', 20_000n);
    await batcher().runOnce();
    expect((await reconcilePayouts(db, { bankFileDirectory: directory })).clean).toBe(true);

    const [name] = readdirSync(directory).filter((f) => f.endsWith('.pain001.xml'));
    const path = join(directory, name!);
    const original = readFileSync(path, 'utf8');
    // A forged amount for payout a (counts and sums kept consistent, so the file itself reads fine).
    const amountA = readPain001(original).transfers.find((t) => t.payoutId === a.payoutId)!.amountMinor;
    const forged = original
      .replace(/<CtrlSum>([0-9.]+)<\/CtrlSum>/g, (_, s: string) => `<CtrlSum>${(Number(s) + 1).toFixed(2)}</CtrlSum>`)
      .replace(`${(Number(amountA) / 100).toFixed(2)}</InstdAmt>`, `${(Number(amountA) / 100 + 1).toFixed(2)}</InstdAmt>`);
    writeFileSync(path, forged);
    const report = await reconcilePayouts(db, { bankFileDirectory: directory });
    expect(report.clean).toBe(false);
    expect(report.discrepancies.map((d) => d.kind).sort()).toEqual(['bank_file_amount_mismatch', 'bank_file_total_mismatch']);
    expect(report.discrepancies.find((d) => d.kind === 'bank_file_amount_mismatch')).toMatchObject({ payoutId: a.payoutId, expectedMinor: amountA, actualMinor: amountA + 100n });

    rmSync(path);
    const missing = await reconcilePayouts(db, { bankFileDirectory: directory });
    expect(missing.discrepancies.filter((d) => d.kind === 'payout_missing_from_bank_file')).toHaveLength(2);
    writeFileSync(path, original);

    // A payout marked paid in its row without its posting: the ledger disagrees.
    await batchKysely(db).updateTable('payouts').set({ status: 'paid' }).where('id', '=', a.payoutId).execute();
    const ledger = await reconcilePayouts(db, { bankFileDirectory: directory });
    expect(ledger.discrepancies.map((d) => d.kind).sort()).toEqual(['in_transit_mismatch', 'paid_mismatch', 'payout_postings_mismatch']);
    expect(ledger.discrepancies.find((d) => d.kind === 'payout_postings_mismatch')?.payoutId).toBe(a.payoutId);
  });

  test('CSV export: RFC 4180 quoting, spreadsheet formulas neutralised', async () => {
    const { db, clock } = await setup('csv');
    const store = await storeWith(db, 'EUR');
    const p = await scheduledPayout(db, clock, store, 'EUR', 12_345n);
    await db.kysely.updateTable('checkouts').set({ order_id: '=HYPERLINK("http://x","a, b")' }).where('id', '=', (await db.kysely.selectFrom('payouts').select('checkout_id').where('id', '=', p.payoutId).executeTakeFirstOrThrow()).checkout_id).execute();
    await batchKysely(db).updateTable('payouts').set({ failure_reason: '-1 line\r\nbreak' }).where('id', '=', p.payoutId).execute();
    const csv = await exportPayoutsCsv(db, { storeId: store });
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('payout_id,store_id,checkout_id,order_id,status,currency,amount,amount_minor,fee_minor,provider,batch_id,attempt,provider_reference,failure_reason,created_at,sent_at,paid_at,failed_at,returned_at');
    expect(csv).toContain(`"'=HYPERLINK(""http://x"",""a, b"")"`);
    expect(csv).toContain(`"'-1 line\r\nbreak"`);
    expect(csv).toContain(`,scheduled,EUR,${(Number(p.amountMinor) / 100).toFixed(2)},${p.amountMinor},`);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(await exportPayoutsCsv(db, { status: 'paid' })).toBe(lines[0] + '\r\n');
  });
});
