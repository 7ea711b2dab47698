import { randomBytes } from 'node:crypto';
import { assertNever } from '@coinstile/core';
import type { Config } from '@coinstile/platform';
import { CoinstileApiClient, CoinstileApiError, CoinstileUnreachableError, type PayoutView } from './coinstile-api-client';
import { CheckoutProgress, type DemoStage, isFinalStage } from './checkout-progress';
import { connectDemoChains, type DemoChains } from './demo-chains';
import { randomDemoOrder } from './demo-orders';
import { type DemoAsset, DemoSetupError, ensureDemoStore } from './demo-store';
import { loadOrCreateDemoStoreWallets } from './demo-store-wallets';

export interface RunDemoOptions {
  /** The running Coinstile, without a trailing slash. */
  readonly baseUrl: string;
  readonly operatorToken: string;
  /** The data folder (demo wallets and store) and the chain settings, as Coinstile itself reads them. */
  readonly config: Config;
  /** Checkouts to create and pay. */
  readonly count: number;
  /** Between two checkouts. */
  readonly intervalMs: number;
  /** Between two blocks mined on each chain. */
  readonly blockIntervalMs: number;
  /** Between two looks at the checkouts; default 1 s. */
  readonly pollIntervalMs?: number;
  /** How long to wait, after the last checkout is paid, for all of them to finish; default 5 min. */
  readonly finishTimeoutMs?: number;
  readonly out: (line: string) => void;
  /** Stops the demo early (Ctrl-C): it returns what it has seen so far. */
  readonly signal?: AbortSignal;
}

export interface DemoResult {
  readonly storeId: string;
  readonly assets: readonly DemoAsset[];
  /** Whether this Coinstile serves `GET /v1/payouts` (releases and payouts shown). */
  readonly payoutsVisible: boolean;
  readonly checkouts: readonly { readonly id: string; readonly asset: DemoAsset; readonly stage: DemoStage }[];
}

/**
 * `coinstile demo`: sets up (or reuses) the demo store on the running Coinstile, then creates `count`
 * checkouts for random orders, pays each on its regtest chain, mines a block on each chain every
 * `blockIntervalMs`, and prints each checkout's way through new → processing → settled → released (payout
 * scheduled), as the API shows it.
 */
export async function runDemo(opts: RunDemoOptions): Promise<DemoResult> {
  const { out } = opts;
  const operator = new CoinstileApiClient(opts.baseUrl, opts.operatorToken);
  // A newcomer who has not started Coinstile yet hears that first, not that its chains are missing.
  await operator.health();
  const chains = await connectDemoChains(opts.config);
  for (const note of chains.notes) out(`note: ${note}`);
  const assets: DemoAsset[] = [
    ...(chains.litecoin ? (['LTC'] as const) : []),
    ...(chains.evm ? (['ETH'] as const) : []),
    ...(chains.evm?.usdcContract !== undefined ? (['USDC'] as const) : []),
  ];
  if (assets.length === 0) throw new DemoSetupError('no regtest chain to pay on: start Coinstile with its embedded chains first (see the notes above).');

  const store = await ensureDemoStore(operator, opts.config.dataDir, (fresh) => loadOrCreateDemoStoreWallets(opts.config.dataDir, fresh), assets);
  out(`Demo store ${store.storeId} (${store.created ? 'created and verified' : 'reused'}), paying in ${assets.join(', ')} on ${opts.baseUrl}`);
  const api = operator.as(store.apiKey);
  const payoutsVisible = await api.listPayouts().then(
    () => true,
    (err: unknown) => {
      if (err instanceof CoinstileApiError && err.status === 404) return false;
      throw err;
    },
  );
  if (!payoutsVisible) out('note: this Coinstile does not serve GET /v1/payouts: releases and payouts are shown on the dashboard only.');

  const tracked: CheckoutProgress[] = [];
  const stopMining = startMining(chains, opts.blockIntervalMs, out);
  let creating = true;
  try {
    const runId = randomBytes(3).toString('hex');
    const polling = pollUntilDone(api, tracked, () => creating, payoutsVisible, opts);
    try {
      for (let n = 1; n <= opts.count && !opts.signal?.aborted; n++) {
        const progress = await createAndPay(api, chains, assets[(n - 1) % assets.length]!, `DEMO-${runId}-${String(n).padStart(4, '0')}`, `#${n}`, out);
        if (progress) tracked.push(progress);
        if (n < opts.count) await sleep(opts.intervalMs, opts.signal);
      }
    } finally {
      creating = false;
    }
    await polling;
  } finally {
    stopMining();
  }

  const byStage = new Map<DemoStage, number>();
  for (const t of tracked) byStage.set(t.stage, (byStage.get(t.stage) ?? 0) + 1);
  out(`Done: ${tracked.length} checkouts; ${[...byStage].map(([stage, n]) => `${n} ${stage}`).join(', ') || 'none'}. Watch them on ${opts.baseUrl}/dashboard`);
  return { storeId: store.storeId, assets, payoutsVisible, checkouts: tracked.map((t) => ({ id: t.checkoutId, asset: t.asset, stage: t.stage })) };
}

async function createAndPay(
  api: CoinstileApiClient,
  chains: DemoChains,
  asset: DemoAsset,
  orderId: string,
  label: string,
  out: (line: string) => void,
): Promise<CheckoutProgress | undefined> {
  const order = randomDemoOrder(orderId, asset);
  let checkout;
  try {
    checkout = await api.createCheckout(order, orderId);
  } catch (err) {
    if (err instanceof CoinstileUnreachableError) throw err;
    out(`${label.padEnd(4)} order ${orderId}: checkout refused: ${(err as Error).message}`);
    return undefined;
  }
  const progress = new CheckoutProgress(label, checkout.id, asset, out);
  const payment = checkout.payment;
  if (payment === null) {
    progress.paymentFailed('the checkout came back without payment instructions');
    return progress;
  }
  const items = order.items.map((i) => `${i.quantity}× ${i.name}`).join(', ');
  progress.print(`new: order ${orderId} (${items}) ${checkout.amount} ${checkout.currency} → pay ${payment.amountDue} ${asset} to ${payment.address}`);
  try {
    switch (asset) {
      case 'LTC':
        await chains.litecoin!.pay(payment.address, payment.amountDue);
        break;
      case 'ETH':
        await chains.evm!.payEth(payment.address, payment.amountDue);
        break;
      case 'USDC':
        await chains.evm!.payUsdc(payment.address, payment.amountDue);
        break;
      default:
        assertNever(asset, 'demo asset');
    }
  } catch (err) {
    progress.paymentFailed((err as Error).message);
  }
  return progress;
}

/** Looks at every unfinished checkout each interval until creation is over and all are final (or time is up). */
async function pollUntilDone(
  api: CoinstileApiClient,
  tracked: readonly CheckoutProgress[],
  stillCreating: () => boolean,
  payoutsVisible: boolean,
  opts: RunDemoOptions,
): Promise<void> {
  let deadline: number | undefined;
  for (;;) {
    await sleep(opts.pollIntervalMs ?? 1_000, opts.signal);
    if (opts.signal?.aborted) return;
    const open = tracked.filter((t) => !isFinalStage(t.stage, payoutsVisible));
    let payouts: Map<string, PayoutView> | undefined;
    for (const progress of open) {
      try {
        const checkout = await api.getCheckout(progress.checkoutId);
        if (checkout.status === 'settled' && payoutsVisible) payouts ??= await payoutsByCheckout(api);
        progress.update(checkout, payouts?.get(progress.checkoutId));
      } catch (err) {
        if (err instanceof CoinstileUnreachableError) throw err;
        progress.print(`could not be read: ${(err as Error).message}`);
      }
    }
    if (stillCreating()) continue;
    if (tracked.every((t) => isFinalStage(t.stage, payoutsVisible))) return;
    deadline ??= Date.now() + (opts.finishTimeoutMs ?? 300_000);
    if (Date.now() > deadline) {
      opts.out(`Gave up waiting after ${Math.round((opts.finishTimeoutMs ?? 300_000) / 1000)} s: is the verifier (and the settlement pipeline) running?`);
      return;
    }
  }
}

async function payoutsByCheckout(api: CoinstileApiClient): Promise<Map<string, PayoutView>> {
  const { data } = await api.listPayouts();
  return new Map(data.filter((p) => typeof p.checkoutId === 'string').map((p) => [p.checkoutId!, p]));
}

/** A block on each chain every `intervalMs`; returns the stop function. A failing chain is reported once. */
function startMining(chains: DemoChains, intervalMs: number, out: (line: string) => void): () => void {
  const reported = new Set<string>();
  let busy = false;
  const mineAll = async () => {
    if (busy) return;
    busy = true;
    const miners: [string, (() => Promise<void>) | undefined][] = [
      ['LTC', chains.litecoin && (() => chains.litecoin!.mine())],
      ['ETH', chains.evm && (() => chains.evm!.mine())],
    ];
    for (const [chain, mine] of miners) {
      if (!mine) continue;
      try {
        await mine();
      } catch (err) {
        if (!reported.has(chain)) out(`note: mining a ${chain} block failed: ${(err as Error).message}`);
        reported.add(chain);
      }
    }
    busy = false;
  };
  const timer = setInterval(() => void mineAll(), intervalMs);
  return () => clearInterval(timer);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
