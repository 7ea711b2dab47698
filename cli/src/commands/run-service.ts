import { startFxRefresher } from '@coinstile/fx-oracle';
import { startGateway, startWebhookDelivery, type OperatorTokenBootstrap } from '@coinstile/gateway';
import { PayoutConfigError, PayoutOperator, payoutSetupFromEnv, startEscrowSweeper, startPayoutBatching, startPayouts } from '@coinstile/merchant-payouts';
import {
  createServiceRuntime,
  instanceSecret,
  RedisServerMissingError,
  type ServiceRuntime,
  startOpsServer,
  withEmbeddedChains,
} from '@coinstile/platform';
import { startVerifier } from '@coinstile/wallet-verifier';
import { EXIT_BAD_CONFIG, loadConfigOrExit } from './load-config-or-exit';

export type ServiceName = 'start' | 'gateway' | 'fx' | 'verifier' | 'payouts';

/** Exit code when a service cannot run on this machine (e.g. no redis-server for the embedded default). */
const EXIT_UNAVAILABLE = 69;

/**
 * Runs one service (or, for `start`, all of them) until SIGTERM/SIGINT, then shuts down gracefully:
 * readiness 503, HTTP closed, workers drained, connections and embedded servers stopped.
 */
export async function runService(name: ServiceName): Promise<void> {
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

async function startParts(name: ServiceName | 'all-in-one', runtime: ServiceRuntime): Promise<void> {
  switch (name) {
    case 'start': {
      // The embedded default also runs regtest chains (litecoind, and a Hardhat node in a development
      // checkout) for whatever chain has no RPC URL configured. Only `start` does: a lone `verifier`
      // must not start nodes of its own. They stop after the followers that use them.
      const withChains: ServiceRuntime = {
        ...runtime,
        config: await withEmbeddedChains(runtime.config, runtime.config.dataDir, runtime.logger, runtime.lifecycle, { database: runtime.db }),
      };
      await startParts('all-in-one', withChains);
      return;
    }
    case 'all-in-one': {
      // Workers first, HTTP last: shutdown runs in reverse, so the server stops taking requests first.
      await startVerifier(runtime);
      startPipeline(runtime);
      const gateway = await startGateway(runtime, gatewayOptions(runtime, await quoteSigningKey(runtime)));
      printBanner(runtime, gateway.listenUrl, gateway.operatorToken);
      return;
    }
    case 'gateway': {
      const gateway = await startGateway(runtime, gatewayOptions(runtime, await quoteSigningKey(runtime)));
      printBanner(runtime, gateway.listenUrl, gateway.operatorToken);
      return;
    }
    case 'fx':
      await startFxRefresher(runtime);
      await startOpsServer(runtime);
      return;
    case 'verifier': {
      const verifier = await startVerifier(runtime);
      await startOpsServer(runtime, { checks: verifier.readinessChecks });
      return;
    }
    case 'payouts':
      startPipeline(runtime);
      await startOpsServer(runtime);
      return;
  }
}

/** The settlement pipeline, the escrow sweeper (holds, auto-acceptance), payout batching (bank files / payout APIs) and webhook delivery. */
function startPipeline(runtime: ServiceRuntime): void {
  startPayouts(runtime);
  startEscrowSweeper(runtime);
  startPayoutBatching(runtime, payoutSetup(runtime));
  startWebhookDelivery(runtime, { allowPrivateTargets: runtime.config.webhookAllowPrivate });
}

/**
 * A documentation example account (DE89 3704 0044 0532 0130 00) as the mall's debtor account, so the
 * embedded default writes real pain.001 files into the data folder before the operator has configured a
 * bank. Never used in production, where the PAYOUT_* variables are required.
 */
const DEMO_PAYOUT_DEBTOR = {
  PAYOUT_DEBTOR_NAME: 'Coinstile demo mall (not a real account)',
  PAYOUT_DEBTOR_IBAN: 'DE89370400440532013000',
  PAYOUT_DEBTOR_BIC: 'COBADEFFXXX',
} as const;

function payoutSetup(runtime: ServiceRuntime): ReturnType<typeof payoutSetupFromEnv> {
  const env = process.env;
  const demo = runtime.config.nodeEnv !== 'production' && env.PAYOUT_PROVIDERS === undefined && env.PAYOUT_DEBTOR_IBAN === undefined;
  if (demo) runtime.logger.warn({ debtor: DEMO_PAYOUT_DEBTOR.PAYOUT_DEBTOR_NAME }, 'payouts go to bank files from a demo debtor account: set PAYOUT_* for real payouts');
  try {
    return payoutSetupFromEnv(demo ? { ...env, ...DEMO_PAYOUT_DEBTOR } : env, runtime.config.dataDir, runtime.clock);
  } catch (err) {
    if (err instanceof PayoutConfigError) {
      process.stderr.write(`coinstile: invalid configuration\n${err.message}\n`);
      process.exit(EXIT_BAD_CONFIG);
    }
    throw err;
  }
}

/** The dashboard's payout buttons act directly on the payouts (any process can). */
function gatewayOptions(runtime: ServiceRuntime, key: Buffer): Parameters<typeof startGateway>[1] {
  const { db, clock, random } = runtime;
  return { quoteSigningKey: key, dashboard: { payoutActions: new PayoutOperator({ db, clock, random }) } };
}

/** Quote tokens signed by one gateway replica must verify on every other: one key per installation. */
function quoteSigningKey(runtime: ServiceRuntime): Promise<Buffer> {
  return instanceSecret(runtime.db, 'quote-token-signing', runtime.random);
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
  if (config.ltcRpcUrl !== undefined || config.ethRpcUrl !== undefined) {
    lines.push(
      `  Chains:       ${[config.ltcRpcUrl ? `LTC ${config.ltcNetwork}` : '', config.ethRpcUrl ? `EVM chain ${config.ethChainId ?? '?'}` : ''].filter(Boolean).join(', ')}`,
    );
  }
  if (embedded.database) {
    lines.push('  Demo:         in another terminal, `npm run coinstile -- demo --token <operator token>` pays demo checkouts');
  }
  lines.push('Press Ctrl-C to stop.', '');
  process.stdout.write(lines.join('\n'));
}
