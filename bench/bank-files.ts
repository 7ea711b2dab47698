/**
 * Bank files: 100,000 payouts into ISO 20022 pain.001.001.03 files (goal ≤ 10 s).
 *  1. the provider alone: `BankFilePayoutProvider.submit` over 100,000 payout instructions in batches of
 *     10,000 across five currencies (transfer checks, transliteration, XML, atomic write + fsync); then
 *     every file read back and checked (`readPain001`) and one checked by `xmllint --noout`;
 *  2. end to end on a real PostgreSQL server: 100,000 `scheduled` payouts (inserted in bulk, not timed)
 *     taken by `PayoutBatcher.runOnce()`: claimed into batches, written to files, each payout moved to
 *     `sent` with compare-and-set, its ledger posting and its `payout.sent` outbox event; then
 *     `reconcilePayouts` over ledger, rows and files (must be clean). Beside the wall time it prints the
 *     CPU seconds of this process and of the PostgreSQL server, which other load on the machine changes less.
 * Peak memory is the process's max RSS (getrusage) and the highest RSS sampled during each phase.
 * Run: `npm run bench:bank-files` (builds first). `BANK_FILES_BENCH_PAYOUTS` changes the count.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  buildPosting,
  fxConversion,
  ID_RANDOM_BYTES,
  makeId,
  nextId,
  parseFiatCurrency,
  storePayable,
  type PayoutBatchId,
  type PayoutId,
  type PayoutInstruction,
  type StoreId,
} from '@coinstile/core';
import { cryptoRandomSource, LedgerRepository, migrateToLatest, openDatabase, systemClock, type Database } from '@coinstile/platform';
import { startPostgres } from '@coinstile/testkit';
import { sql } from 'kysely';
import { BankFilePayoutProvider, PayoutBatcher, readPain001, reconcilePayouts } from '@coinstile/merchant-payouts/dist/payouts-io';

const COUNT = Number(process.env['BANK_FILES_BENCH_PAYOUTS'] ?? 100_000);
const BATCH = 10_000;
const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY', 'CHF'].map(parseFiatCurrency);
const STORES = 200;
const debtorAccounts = { '*': { name: 'Coinstile Mall GmbH', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' } };
const NAMES = ['Kobe Tea House KK', 'Café Ünter den Linden', 'Smørrebrød & Søn', 'Straße 12 GmbH', 'London Tea Ltd'];

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function phase<T>(label: string, run: () => Promise<T>): Promise<T> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const started = process.hrtime.bigint();
  const result = await run();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(`${label.padEnd(58)} ${(ms / 1000).toFixed(2).padStart(7)} s   peak RSS ${mb(peak)}`);
  return result;
}

const storeIds = Array.from({ length: STORES }, () => makeId('st', Date.now(), randomBytes(ID_RANDOM_BYTES)) as StoreId);

function instructions(): PayoutInstruction[][] {
  const batches: PayoutInstruction[][] = [];
  for (let i = 0; i < COUNT; i += BATCH) {
    const currency = CURRENCIES[(i / BATCH) % CURRENCIES.length]!;
    const batch: PayoutInstruction[] = [];
    for (let j = i; j < Math.min(COUNT, i + BATCH); j++) {
      const payoutId = makeId('po', Date.now(), randomBytes(ID_RANDOM_BYTES)) as PayoutId;
      batch.push({
        payoutId,
        storeId: storeIds[j % STORES]!,
        currency,
        amountMinor: 100n + BigInt(j % 9_000_000),
        account: { iban: 'FR1420041010050500013M02606', bic: 'PSSTFRPPXXX', holderName: NAMES[j % NAMES.length]! },
        reference: `Coinstile payout ${payoutId} order A-${j}`,
      });
    }
    batches.push(batch);
  }
  return batches;
}

function checkFiles(directory: string): { files: number; transfers: number; bytes: number } {
  let transfers = 0;
  let bytes = 0;
  const names = readdirSync(directory).filter((n) => n.endsWith('.pain001.xml'));
  for (const name of names) {
    const text = readFileSync(join(directory, name), 'utf8');
    bytes += statSync(join(directory, name)).size;
    transfers += readPain001(text).transfers.length;
  }
  if (transfers !== COUNT) throw new Error(`files hold ${transfers} transfers, expected ${COUNT}`);
  execFileSync('xmllint', ['--noout', join(directory, names[0]!)]);
  return { files: names.length, transfers, bytes };
}

async function providerOnly(root: string): Promise<void> {
  const directory = join(root, 'provider');
  const provider = new BankFilePayoutProvider({ directory, debtorAccounts, initiatingPartyName: 'Coinstile Mall', clock: systemClock() });
  const batches = instructions();
  await phase(`1. provider: ${COUNT.toLocaleString('en')} payouts → ${batches.length} pain.001 files`, async () => {
    for (const batch of batches) {
      const answers = await provider.submit(makeId('pb', Date.now(), randomBytes(ID_RANDOM_BYTES)) as PayoutBatchId, batch);
      if (answers.some((a) => a.status !== 'submitted')) throw new Error('a transfer was refused');
    }
  });
  const { files, bytes } = await phase('   read back + strict check of every file, xmllint one', async () => checkFiles(directory));
  console.log(`   ${files} files, ${mb(bytes)} of XML`);
}

/**
 * CPU seconds used so far by the PostgreSQL server behind `db`: its postmaster and live backends, plus
 * the ended backends it has waited for (`/proc/<pid>/stat` utime + stime + cutime + cstime).
 */
async function postgresCpuSeconds(db: Database): Promise<() => number> {
  const { rows } = await sql<{ dir: string }>`SELECT current_setting('data_directory') AS dir`.execute(db.kysely);
  const postmaster = readFileSync(join(rows[0]!.dir, 'postmaster.pid'), 'utf8').split('\n')[0]!;
  const ticks = 100; // USER_HZ on Linux
  return () => {
    let total = 0;
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // the process ended while we listed them
      }
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (pid !== postmaster && fields[1] !== postmaster) continue;
      total += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    }
    return total / ticks;
  };
}

async function endToEnd(root: string): Promise<void> {
  const postgres = await startPostgres();
  try {
    const db = await openDatabase({ url: await postgres.createDatabase() });
    await migrateToLatest(db);
    const clock = systemClock();
    const random = cryptoRandomSource;
    const now = new Date();
    // Stores, checkouts and scheduled payouts in bulk (not timed), each store credited what it is owed.
    await db.kysely
      .insertInto('stores')
      .values(storeIds.map((id, i) => ({
        id,
        name: `Store ${i}`,
        status: 'active' as const,
        payout_currency: CURRENCIES[i % CURRENCIES.length]!,
        payout_account: JSON.stringify({ kind: 'iban', iban: 'FR1420041010050500013M02606', bic: 'PSSTFRPPXXX', holderName: NAMES[i % NAMES.length] }),
      })))
      .execute();
    const owed = new Map<string, bigint>();
    for (let i = 0; i < COUNT; i += 5000) {
      const rows = Array.from({ length: Math.min(5000, COUNT - i) }, (_, k) => {
        const n = i + k;
        const s = n % STORES;
        return { n, store: storeIds[s]!, currency: CURRENCIES[s % CURRENCIES.length]!, amount: 100n + BigInt(n % 9_000_000) };
      });
      for (const r of rows) owed.set(r.store, (owed.get(r.store) ?? 0n) + r.amount);
      await db.transaction(async (trx) => {
        const checkoutIds = rows.map(() => makeId('co', Date.now(), randomBytes(ID_RANDOM_BYTES)));
        await trx
          .insertInto('checkouts')
          .values(rows.map((r, k) => ({
            id: checkoutIds[k]!, store_id: r.store, order_id: `A-${r.n}`, price_minor: r.amount.toString(), currency: r.currency,
            created_at: now, expires_at: now, monitoring_until: now,
          })))
          .execute();
        await trx
          .withTables<{ payouts: { due_at: Date } }>()
          .insertInto('payouts')
          .values(rows.map((r, k) => ({
            id: makeId('po', Date.now(), randomBytes(ID_RANDOM_BYTES)), store_id: r.store, checkout_id: checkoutIds[k]!,
            amount_minor: r.amount.toString(), currency: r.currency, status: 'scheduled' as const, due_at: now, created_at: now, updated_at: now,
          })))
          .execute();
      });
    }
    const ledger = new LedgerRepository(db);
    for (let i = 0; i < storeIds.length; i++) {
      const store = storeIds[i]!;
      const currency = CURRENCIES[i % CURRENCIES.length]!;
      const amount = owed.get(store)!;
      await ledger.append(
        buildPosting('settlement', [
          { account: fxConversion(), currency, amount },
          { account: storePayable(store), currency, amount: -amount },
        ], { postingId: nextId('lp', clock, random), dedupeKey: `bench:${store}`, occurredAt: now, storeId: store }),
      );
    }

    // As autovacuum would within a minute of such a burst of inserts (the planner needs statistics).
    await sql`ANALYZE`.execute(db.kysely);
    const directory = join(root, 'end-to-end');
    const provider = new BankFilePayoutProvider({ directory, debtorAccounts, initiatingPartyName: 'Coinstile Mall', clock });
    const batcher = new PayoutBatcher({ db, clock, random, providers: [provider], maxBatchSize: BATCH, maxCandidates: COUNT });
    const serverCpu = await postgresCpuSeconds(db);
    const [benchCpu0, serverCpu0] = [process.cpuUsage(), serverCpu()];
    const round = await phase(`2. Postgres: ${COUNT.toLocaleString('en')} scheduled → batched, files, sent + ledger + events`, () => batcher.runOnce());
    const benchCpu = process.cpuUsage(benchCpu0);
    const sent = round.submitted.reduce((s, b) => s + b.sent, 0);
    if (sent !== COUNT) throw new Error(`${sent} payouts sent, expected ${COUNT}`);
    console.log(`   ${round.batches} batches, ${sent.toLocaleString('en')} payouts sent`);
    console.log(
      `   CPU: this process ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(2)} s, PostgreSQL ${(serverCpu() - serverCpu0).toFixed(2)} s; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    );
    const report = await phase('   reconcilePayouts (ledger vs rows vs files)', () => reconcilePayouts(db, { bankFileDirectory: directory }));
    if (!report.clean) throw new Error(`reconciliation found ${report.discrepancies.length} discrepancies: ${report.discrepancies[0]?.message}`);
    console.log('   reconciliation clean');
    await db.close();
  } finally {
    await postgres.stop();
  }
}

async function main(): Promise<void> {
  console.log(`bank-files bench: ${COUNT.toLocaleString('en')} payouts; ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${mb(totalmem())} RAM, Node ${process.version}`);
  const root = mkdtempSync(join(tmpdir(), 'coinstile-bench-bank-files-'));
  try {
    await providerOnly(root);
    await endToEnd(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  console.log(`process max RSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
