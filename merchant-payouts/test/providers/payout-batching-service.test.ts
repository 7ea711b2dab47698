import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceRuntime, loadConfig, type ServiceRuntime } from '@coinstile/platform';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@coinstile/testkit';
import { batchKysely, payoutSetupFromEnv, readPain001, reconcilePayouts, startPayoutBatching } from '../../src/payouts-io';
import { scheduledPayout, storeWith } from './support/payout-test-db';

const env = { PAYOUT_DEBTOR_NAME: 'Coinstile Mall GmbH', PAYOUT_DEBTOR_IBAN: 'DE89370400440532013000', PAYOUT_DEBTOR_BIC: 'COBADEFFXXX' };

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('startPayoutBatching in a service runtime', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  const dirs: string[] = [];

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([postgres?.stop(), redis?.stop()]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test.each(['postgres', 'pglite (embedded default)'])('%s: due payouts end in a bank file in <dataDir>/payouts, sent, reconciled; stopped with the runtime', async (engine) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coinstile-payout-service-'));
    dirs.push(dataDir);
    const url = engine === 'postgres' ? await postgres.createDatabase() : undefined;
    const config = loadConfig({ ...(url ? { DATABASE_URL: url } : {}), REDIS_URL: redis.url, COINSTILE_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, { cwd: dataDir });
    const runtime: ServiceRuntime = await createServiceRuntime(config, { service: 'payout-batching-test' });
    try {
      const setup = payoutSetupFromEnv(env, config.dataDir, runtime.clock);
      const store = await storeWith(runtime.db, 'EUR');
      const payouts = [
        await scheduledPayout(runtime.db, runtime.clock, store, 'EUR', 10_000n),
        await scheduledPayout(runtime.db, runtime.clock, store, 'EUR', 25_050n),
      ];
      startPayoutBatching(runtime, { ...setup, intervalMs: 50 });
      const sent = async () =>
        (await batchKysely(runtime.db).selectFrom('payouts').select('status').where('status', '=', 'sent').execute()).length === payouts.length;
      await waitFor(sent, 'both payouts sent');
      const directory = setup.bankFileDirectory!;
      expect(directory).toBe(join(config.dataDir, 'payouts'));
      const files = readdirSync(directory).filter((f) => f.endsWith('.pain001.xml'));
      expect(files).toHaveLength(1);
      const file = readPain001(readFileSync(join(directory, files[0]!), 'utf8'));
      expect(file.totalMinor).toBe(payouts[0]!.amountMinor + payouts[1]!.amountMinor);
      expect((await reconcilePayouts(runtime.db, { bankFileDirectory: directory })).discrepancies).toEqual([]);
    } finally {
      await runtime.lifecycle.shutdown('test done');
    }
  }, 60_000);
});
