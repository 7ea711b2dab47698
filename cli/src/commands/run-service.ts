import { startGateway, type OperatorTokenBootstrap } from '@coinstile/gateway';
import { createServiceRuntime, RedisServerMissingError, type ServiceRuntime, startOpsServer } from '@coinstile/platform';
import type { Router } from 'express';
import { loadConfigOrExit } from './load-config-or-exit';

export type ServiceName = 'start' | 'gateway' | 'fx' | 'verifier' | 'payouts';

/** Exit code when a service cannot run in this build or on this machine. */
const EXIT_UNAVAILABLE = 69;

/**
 * Runs one service (or, for `start`, all of them) until SIGTERM/SIGINT, then shuts down gracefully:
 * readiness 503, HTTP closed, workers drained, connections and embedded servers stopped.
 */
export async function runService(name: ServiceName): Promise<void> {
  const unavailable = unavailableReason(name);
  if (unavailable) {
    process.stderr.write(`coinstile ${name}: ${unavailable}\n`);
    process.exit(EXIT_UNAVAILABLE);
  }
  const config = loadConfigOrExit();
  let runtime: ServiceRuntime;
  try {
    runtime = await createServiceRuntime(config, { service: name === 'start' ? 'coinstile' : name });
  } catch (err) {
    if (err instanceof RedisServerMissingError) {
      process.stderr.write(`coinstile: ${err.message}\n`);
      process.exit(EXIT_UNAVAILABLE);
    }
    throw err;
  }
  runtime.lifecycle.installSignalHandlers();
  try {
    await startParts(name, runtime);
  } catch (err) {
    runtime.logger.error({ err }, 'start-up failed');
    await runtime.lifecycle.shutdown('start-up failed');
    process.exit(1);
  }
}

function unavailableReason(name: ServiceName): string | undefined {
  switch (name) {
    case 'start':
    case 'gateway':
    case 'fx':
      return undefined;
    case 'verifier':
      return 'the wallet verifier is not part of this build yet; nothing would follow the chains';
    case 'payouts':
      return 'the settlement pipeline is not part of this build yet; nothing would process settlements';
  }
}

async function startParts(name: ServiceName, runtime: ServiceRuntime): Promise<void> {
  switch (name) {
    case 'start': {
      const routers: Router[] = [];
      const gateway = await startGateway(runtime, { routers });
      printBanner(runtime, gateway.listenUrl, gateway.operatorToken);
      return;
    }
    case 'gateway': {
      const gateway = await startGateway(runtime);
      printBanner(runtime, gateway.listenUrl, gateway.operatorToken);
      return;
    }
    case 'fx':
      await startOpsServer(runtime);
      return;
    case 'verifier':
    case 'payouts':
      throw new Error(`coinstile ${name} cannot run in this build`);
  }
}

function printBanner(runtime: ServiceRuntime, listenUrl: string, token: OperatorTokenBootstrap): void {
  const { config, embedded } = runtime;
  const lines = [
    '',
    `Coinstile is running on ${listenUrl}`,
    `  API:          ${config.publicUrl}/v1`,
    `  Health:       ${config.publicUrl}/healthz  ${config.publicUrl}/readyz  ${config.publicUrl}/metrics`,
    `  Database:     ${embedded.database ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)'}`,
    `  Redis:        ${embedded.redis ? `embedded redis-server (${runtime.redisUrl}), data in ${config.dataDir}` : 'REDIS_URL'}`,
  ];
  switch (token.source) {
    case 'generated':
      lines.push(
        `  Operator token (shown this once; it is stored hashed): ${token.token}`,
        '  Use it as "Authorization: Bearer <token>", or set COINSTILE_OPERATOR_TOKEN.',
      );
      break;
    case 'stored':
      lines.push('  Operator token: the one printed on first start (or set COINSTILE_OPERATOR_TOKEN).');
      break;
    case 'config':
      lines.push('  Operator token: COINSTILE_OPERATOR_TOKEN.');
      break;
  }
  lines.push('Press Ctrl-C to stop.', '');
  process.stdout.write(lines.join('\n'));
}
