/**
 * The gateway under test for `bench/checkout-create.ts`, in its own process (as in production), on the
 * Postgres and Redis the parent started. Besides the API it serves `POST /bench/bare-insert`, one INSERT
 * on the same pool behind the same middleware, the baseline the checkout figure is compared with.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startGateway } from '@coinstile/gateway';
import { createServiceRuntime, loadConfig } from '@coinstile/platform';
import { Router } from 'express';
import { sql } from 'kysely';

async function main(): Promise<void> {
  const config = loadConfig({
    DATABASE_URL: process.env['BENCH_DATABASE_URL'],
    REDIS_URL: process.env['BENCH_REDIS_URL'],
    COINSTILE_OPERATOR_TOKEN: process.env['BENCH_OPERATOR_TOKEN'],
    COINSTILE_DATA_DIR: process.env['BENCH_DATA_DIR'],
    LOG_LEVEL: 'error',
    FX_SOURCES: 'static',
    FX_STATIC_RATES: 'BTC-JPY=9000000,BTC-USD=60000',
  });
  const runtime = await createServiceRuntime(config, { service: 'bench-gateway' });
  await sql`CREATE TABLE IF NOT EXISTS bench_bare (id text PRIMARY KEY, order_id text NOT NULL, amount text NOT NULL, created_at timestamptz NOT NULL)`.execute(
    runtime.db.kysely,
  );
  const bare = Router();
  bare.post('/bench/bare-insert', async (req, res) => {
    const body = req.body as { orderId: string; amount: string };
    const id = randomBytes(12).toString('hex');
    await sql`INSERT INTO bench_bare (id, order_id, amount, created_at) VALUES (${id}, ${body.orderId}, ${body.amount}, now())`.execute(runtime.db.kysely);
    res.status(201).json({ id });
  });
  const gateway = await startGateway(runtime, {
    port: 0,
    routers: [bare],
    // The benchmark measures throughput, not the budgets: one key sends far more than a store would.
    rateLimits: { key: 1e9, operator: 1e9, ip: 1e9 },
  });
  runtime.lifecycle.installSignalHandlers();
  process.send?.({ url: gateway.listenUrl });
  // The parent asks for this process's CPU time around each phase: CPU per request is a figure that other
  // load on the machine disturbs far less than throughput.
  process.on('message', (m: unknown) => {
    // Event-loop busy time beside the process's CPU (all threads): the main thread is what saturates first.
    if (m === 'cpu') process.send?.({ cpu: process.cpuUsage(), eventLoopActiveMs: performance.eventLoopUtilization().active });
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
