import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { ReadinessSource } from '../lifecycle/lifecycle';
import { redactUrl } from '../logging/redact-url';
import { metricsHandler } from '../metrics/metrics';

/** One dependency `/readyz` checks; `check` rejects when it is unusable. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
  /** Default 2 s. */
  readonly timeoutMs?: number;
}

export type CheckResult = { status: 'ok'; durationMs: number } | { status: 'fail'; durationMs: number; error: string };

export interface ReadinessReport {
  status: 'ok' | 'fail' | 'shutting_down';
  checks: Record<string, CheckResult>;
}

export interface HealthRouterOptions {
  readonly checks: readonly ReadinessCheck[];
  readonly lifecycle: ReadinessSource;
  /** Served at `/metrics`. */
  readonly registry: Registry;
}

/** The check timed out: the dependency neither answered nor failed. */
class CheckTimeoutError extends Error {
  override readonly name = 'CheckTimeoutError';
}

/**
 * `/healthz` answers 200 while the process can serve anything at all (liveness); `/readyz` runs every
 * check concurrently, each bounded, and answers 503 naming the failures (and 503 from the first moment
 * of shutdown, so load balancers drain this instance); `/metrics` is the Prometheus exposition.
 */
export function healthRouter(opts: HealthRouterOptions): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    if (opts.lifecycle.isShuttingDown) {
      res.status(503).json({ status: 'shutting_down', checks: {} } satisfies ReadinessReport);
      return;
    }
    const report = await runReadinessChecks(opts.checks);
    // Shutdown may have begun while the checks ran.
    if (opts.lifecycle.isShuttingDown) report.status = 'shutting_down';
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  router.get('/metrics', metricsHandler(opts.registry));
  return router;
}

export async function runReadinessChecks(checks: readonly ReadinessCheck[]): Promise<ReadinessReport> {
  const entries = await Promise.all(checks.map(async (c) => [c.name, await runCheck(c)] as const));
  const results = Object.fromEntries(entries);
  return { status: entries.every(([, r]) => r.status === 'ok') ? 'ok' : 'fail', checks: results };
}

async function runCheck(check: ReadinessCheck): Promise<CheckResult> {
  const started = Date.now();
  const timeoutMs = check.timeoutMs ?? 2_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeoutError(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'ok', durationMs: Date.now() - started };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { status: 'fail', durationMs: Date.now() - started, error: redactUrl(message) };
  } finally {
    clearTimeout(timer);
  }
}

/** Redis answers PING. Use a producer connection: it fails at once while Redis is down instead of queueing. */
export function redisReadinessCheck(connection: Redis, name = 'redis'): ReadinessCheck {
  return {
    name,
    check: async () => {
      const reply = await connection.ping();
      if (reply !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(reply)}`);
    },
  };
}

/** The store of record answers a query (`Database.ping` from the db layer). */
export function postgresReadinessCheck(db: { ping(): Promise<void> }, name = 'postgres'): ReadinessCheck {
  return { name, check: () => db.ping() };
}
