import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startWebhookDelivery, verifyWebhookSignature } from '@coinstile/gateway';
import { LedgerRepository } from '@coinstile/platform';
import { startHardhat, startLitecoind, type HardhatNode, type LitecoinRegtest } from '@coinstile/testkit';
import { startVerifier } from '@coinstile/wallet-verifier';
import { parseEther } from 'ethers';
import { activeStoreWithKey, keys, startHarness, storeBody, walletsOfAccount, type GatewayHarness } from '../../gateway/test/support/gateway-harness';
import { BankFilePayoutProvider, batchKysely, pipelineKysely, readPain001, startPayoutBatching, startPayouts } from '../src';
import { startWebhookReceiver, waitUntil, type WebhookReceiver } from './support/pipeline-fixtures';

const exec = promisify(execFile);

/**
 * The whole path on real chains, as a mall runs it: a store and its checkouts created through the HTTP API
 * of a real gateway (PostgreSQL, redis-server), one paid on litecoind regtest and one in ETH on a Hardhat
 * node, confirmations mined → the verifier settles them → the pipeline releases each order once and the
 * store's webhook receiver gets `order.released` with a valid signature → the payout batcher writes the
 * payouts into a pain.001 file on disk, read back with the strict reader and checked by `xmllint`.
 */
describe('checkout on litecoind regtest and Hardhat → order.released webhook → pain.001 file', () => {
  let litecoind: LitecoinRegtest | undefined;
  let hardhat: HardhatNode | undefined;
  let h: GatewayHarness | undefined;
  let receiver: WebhookReceiver | undefined;
  let bankFiles: string;

  beforeAll(async () => {
    bankFiles = mkdtempSync(join(tmpdir(), 'coinstile-chain-to-bank-file-'));
    [litecoind, hardhat, receiver] = await Promise.all([startLitecoind(), startHardhat(), startWebhookReceiver()]);
    const usdc = await hardhat.deployErc20();
    h = await startHarness({
      env: {
        LTC_RPC_URL: litecoind.rpcUrl,
        LTC_NETWORK: 'regtest',
        ETH_RPC_URL: hardhat.rpcUrl,
        ETH_CHAIN_ID: String(hardhat.chainId),
        USDC_CONTRACT: await usdc.getAddress(),
        WEBHOOK_ALLOW_PRIVATE: 'true',
      },
    });
    const { runtime } = h;
    await startVerifier(runtime, { service: { pollIntervalMs: 100 } });
    startPayouts(runtime, { relayPollIntervalMs: 50 });
    startWebhookDelivery(runtime, { allowPrivateTargets: true, pollIntervalMs: 100 });
    startPayoutBatching(runtime, {
      providers: [
        new BankFilePayoutProvider({
          directory: bankFiles,
          debtorAccounts: { '*': { name: 'Coinstile Test Mall GmbH', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' } },
          initiatingPartyName: 'Coinstile Test Mall',
          clock: runtime.clock,
        }),
      ],
      intervalMs: 300,
    });
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
    await Promise.allSettled([litecoind?.stop(), hardhat?.stop(), receiver?.close()]);
    rmSync(bankFiles, { recursive: true, force: true });
  }, 60_000);

  test('an LTC and an ETH checkout are paid, confirmed, released once with a signed webhook and paid out in a bank file', async () => {
    const harness = h!;
    const ltc = litecoind!;
    const evm = hardhat!;
    const { storeId, key } = await activeStoreWithKey(
      harness,
      ['checkouts:read', 'checkouts:write', 'webhooks:write', 'payouts:read'],
      storeBody({ wallets: { LTC: { xpub: keys.ltcTpub }, ETH: walletsOfAccount(7)['ETH']! } }),
    );
    const webhook = await harness.request('POST', '/v1/webhooks', { token: key, body: { url: receiver!.url, eventTypes: ['order.released'] } });
    expect(webhook.status).toBe(201);
    const secret = webhook.body.secret as string;

    const create = async (orderId: string, amount: string, asset: 'LTC' | 'ETH') => {
      const res = await harness.request('POST', '/v1/checkouts', {
        token: key,
        headers: { 'idempotency-key': `chain-to-bank-${orderId}` },
        body: { orderId, amount, currency: 'JPY', asset, items: [{ sku: `TEA-${asset}`, name: 'Sencha 100 g', quantity: 1 }] },
      });
      if (res.status !== 201) throw new Error(`POST /v1/checkouts answered ${res.status}: ${res.text}`);
      return res.body as { id: string; payment: { address: string; amountDue: string; uri: string } };
    };
    const ltcCheckout = await create('A-LTC-1', '4980', 'LTC');
    const ethCheckout = await create('A-ETH-1', '12000', 'ETH');
    expect(ltcCheckout.payment.address).toMatch(/^rltc1q/);
    expect(ethCheckout.payment.address).toMatch(/^0x[0-9a-fA-F]{40}$/);

    // Pay the exact amounts due. Nothing is settled before a block confirms the LTC payment.
    const ltcTxid = await ltc.sendToAddress(ltcCheckout.payment.address, ltcCheckout.payment.amountDue);
    const ethTxid = await evm.sendEth(ethCheckout.payment.address, parseEther(ethCheckout.payment.amountDue));
    const statusOf = async (id: string) => (await harness.request('GET', `/v1/checkouts/${id}`, { token: key })).body.status as string;
    expect(await statusOf(ltcCheckout.id)).not.toBe('settled');
    await ltc.mine(2);
    await evm.mine(2);
    await waitUntil(async () => (await statusOf(ltcCheckout.id)) === 'settled' && (await statusOf(ethCheckout.id)) === 'settled', 60_000, 'both checkouts to settle');
    const ltcView = (await harness.request('GET', `/v1/checkouts/${ltcCheckout.id}`, { token: key })).body;
    expect(ltcView.payments.map((p: { txid: string }) => p.txid)).toEqual([ltcTxid]);

    // order.released at the store's endpoint, signed with the endpoint's secret, once per checkout.
    const released = () => receiver!.received.map((hook) => ({ hook, event: JSON.parse(hook.rawBody) as Record<string, unknown> }));
    await waitUntil(() => new Set(released().map((r) => r.event['id'])).size === 2, 60_000, 'order.released for both checkouts');
    for (const { hook } of released()) {
      expect(verifyWebhookSignature(hook.rawBody, hook.headers['coinstile-signature'] as string, secret)).toBe(true);
      expect(verifyWebhookSignature(hook.rawBody, hook.headers['coinstile-signature'] as string, `${secret}x`)).toBe(false);
    }
    const payloadOf = (checkoutId: string): Record<string, unknown> => {
      const events = released().filter(({ event }) => (event['data'] as Record<string, unknown>)['checkoutId'] === checkoutId);
      expect(new Set(events.map(({ event }) => event['id'])).size).toBe(1);
      expect(events[0]?.event['type']).toBe('order.released');
      return events[0]!.event['data'] as Record<string, unknown>;
    };
    const ltcReleased = payloadOf(ltcCheckout.id);
    expect(ltcReleased).toMatchObject({ orderId: 'A-LTC-1', priceMinor: '4980', currency: 'JPY', asset: 'LTC', txids: [ltcTxid], storeId });
    expect(ltcReleased['items']).toEqual([expect.objectContaining({ sku: 'TEA-LTC', name: 'Sencha 100 g', quantity: 1 })]);
    const ethReleased = payloadOf(ethCheckout.id);
    expect(ethReleased).toMatchObject({ orderId: 'A-ETH-1', priceMinor: '12000', currency: 'JPY', asset: 'ETH', txids: [ethTxid], storeId });

    // The payouts leave in a pain.001 file: each checkout's net amount to the store's IBAN.
    const db = batchKysely(harness.runtime.db);
    const sentPayouts = () =>
      db
        .selectFrom('payouts')
        .select(['id', 'checkout_id', 'amount_minor', 'status', 'provider_reference'])
        .where('checkout_id', 'in', [ltcCheckout.id, ethCheckout.id])
        .where('status', '=', 'sent')
        .execute();
    await waitUntil(async () => (await sentPayouts()).length === 2, 60_000, 'both payouts sent in a bank file');
    const payouts = await sentPayouts();
    const files = new Set(payouts.map((p) => p.provider_reference!.split('#')[0]!));
    const transfers = [...files].flatMap((name) => {
      const path = join(bankFiles, name);
      const file = readPain001(readFileSync(path, 'utf8'));
      expect(file.currency).toBe('JPY');
      expect(file.totalMinor).toBe(file.transfers.reduce((sum, t) => sum + t.amountMinor, 0n));
      return file.transfers.map((t) => ({ ...t, path }));
    });
    for (const payout of payouts) {
      const net = BigInt((payout.checkout_id === ltcCheckout.id ? ltcReleased : ethReleased)['netMinor'] as string);
      expect(BigInt(payout.amount_minor)).toBe(net);
      expect(transfers.filter((t) => t.payoutId === payout.id)).toEqual([
        expect.objectContaining({ amountMinor: net, currency: 'JPY', creditorIban: 'DE89370400440532013000', creditorName: 'Kobe Tea House KK' }),
      ]);
    }
    const { stderr } = await exec('xmllint', ['--noout', ...[...files].map((name) => join(bankFiles, name))]);
    expect(stderr).toBe('');

    // Exactly once: one release and one payout per checkout, every webhook repeat the same event, and
    // the ledger balances in every currency.
    const pipeline = pipelineKysely(harness.runtime.db);
    const releases = await pipeline.selectFrom('order_releases').select('event_id').where('checkout_id', 'in', [ltcCheckout.id, ethCheckout.id]).execute();
    expect(releases.map((r) => r.event_id).sort()).toEqual(released().map(({ event }) => event['id'] as string).filter((id, i, all) => all.indexOf(id) === i).sort());
    expect(await db.selectFrom('payouts').select('id').where('checkout_id', 'in', [ltcCheckout.id, ethCheckout.id]).execute()).toHaveLength(2);
    const trial = await new LedgerRepository(harness.runtime.db).trialBalance();
    expect([...trial.keys()].sort()).toEqual(['ETH', 'JPY', 'LTC']);
    for (const total of trial.values()) expect(total).toBe(0n);
  }, 240_000);
});
