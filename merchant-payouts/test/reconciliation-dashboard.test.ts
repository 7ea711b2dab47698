import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { OPERATOR_TOKEN, startHarness, type GatewayHarness } from '../../gateway/test/support/gateway-harness';
import { BankFilePayoutProvider, PayoutBatcher, startPayouts } from '../src';
import { insertStore, settleMany, waitUntil } from './support/pipeline-fixtures';

/**
 * The operator's view of the reconciliation report and CSV export: `/dashboard/reconciliation`
 * compares ledger, payout rows and the bank files in the data folder; `/dashboard/payouts.csv` exports the
 * payouts list with its filters.
 */
describe('dashboard: payout reconciliation and CSV export', () => {
  let h: GatewayHarness;
  let bankFiles: string;

  beforeAll(async () => {
    h = await startHarness();
    startPayouts(h.runtime, { relayPollIntervalMs: 50 });
    bankFiles = join(h.runtime.config.dataDir, 'payouts');
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  test('payouts sent in a bank file reconcile clean, export as CSV, and a missing bank file is reported', async () => {
    const { runtime } = h;
    const storeId = await insertStore(runtime.db, { currency: 'EUR', feeBps: 100, feeFixedMinor: 0n });
    const checkouts = await settleMany(runtime.db, [storeId], 3, 3, { currency: 'EUR', priceMinor: 10_000n });
    await waitUntil(
      async () => (await runtime.db.kysely.selectFrom('payouts').select('id').where('checkout_id', 'in', checkouts).execute()).length === 3,
      30_000,
      'three scheduled payouts',
    );

    // Before any bank file exists the page says the files were not checked.
    let page = await h.request('GET', '/dashboard/reconciliation', { token: OPERATOR_TOKEN });
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-testid="reconciliation-no-bank-files"');
    expect(page.text).toContain('data-testid="reconciliation-clean"');

    mkdirSync(bankFiles, { recursive: true });
    const provider = new BankFilePayoutProvider({
      directory: bankFiles,
      debtorAccounts: { '*': { name: 'Coinstile Test Mall GmbH', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' } },
      initiatingPartyName: 'Coinstile Test Mall',
      clock: runtime.clock,
    });
    const round = await new PayoutBatcher({ db: runtime.db, clock: runtime.clock, random: runtime.random, providers: [provider] }).runOnce();
    expect(round.submitted.map((s) => s.sent)).toEqual([3]);

    page = await h.request('GET', '/dashboard/reconciliation', { token: OPERATOR_TOKEN });
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-testid="reconciliation-clean"');
    expect(page.text).not.toContain('reconciliation-no-bank-files');
    expect(page.text).toMatch(/data-testid="reconciliation-currency" data-currency="EUR">[\s\S]*?<\/tr>/);
    const eurRow = /data-currency="EUR">([\s\S]*?)<\/tr>/.exec(page.text)![1]!;
    // Three payouts of 100.00 less 1 % in transit and in one bank file (29,700 minor units).
    expect(eurRow.match(/297\.00/g)?.length).toBe(3);

    // The payouts page links both tools; the CSV keeps the list's filters.
    const list = await h.request('GET', `/dashboard/payouts?status=sent&store=${storeId}`, { token: OPERATOR_TOKEN });
    expect(list.text).toContain('data-testid="reconciliation-link"');
    expect(list.text).toContain(`/dashboard/payouts.csv?status=sent&amp;store=${storeId}`);
    const csv = await h.request('GET', `/dashboard/payouts.csv?status=sent&store=${storeId}`, { token: OPERATOR_TOKEN });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toContain('coinstile-payouts.csv');
    const lines = csv.text.trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^payout_id,store_id,checkout_id,order_id,status,currency/);
    expect(lines.slice(1)).toHaveLength(3);
    expect(lines.slice(1).every((line) => line.includes(',sent,EUR,'))).toBe(true);
    expect((await h.request('GET', '/dashboard/payouts.csv?status=scheduled', { token: OPERATOR_TOKEN })).text.trim().split(/\r?\n/)).toHaveLength(1);
    expect((await h.request('GET', '/dashboard/payouts.csv?status=lost', { token: OPERATOR_TOKEN })).status).toBe(400);
    // Without the operator's credentials: sent to sign in, no CSV.
    const anonymous = await fetch(`${h.url}/dashboard/payouts.csv`, { redirect: 'manual' });
    expect([anonymous.status, anonymous.headers.get('location')]).toEqual([303, expect.stringContaining('/dashboard/sign-in')]);

    // A bank file gone from the folder: every payout in it is reported missing.
    for (const name of readdirSync(bankFiles)) rmSync(join(bankFiles, name));
    page = await h.request('GET', '/dashboard/reconciliation', { token: OPERATOR_TOKEN });
    expect(page.text).not.toContain('data-testid="reconciliation-clean"');
    expect(page.text.match(/data-kind="payout_missing_from_bank_file"/g)).toHaveLength(3);
  }, 120_000);
});
