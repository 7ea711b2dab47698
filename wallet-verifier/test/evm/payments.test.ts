import { Wallet } from 'ethers';
import type { EvmChainFollower } from '@coinstile/wallet-verifier';
import { eth, EvmHarness } from './evm-harness';

const USDC = 1_000_000n;

describe('ETH and USDC payments on a Hardhat node, matched by the EVM follower', () => {
  let h: EvmHarness;
  let follower: EvmChainFollower;

  beforeAll(async () => {
    h = await EvmHarness.start();
    follower = h.follower();
    await follower.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('exact ETH payment: settled at medium_speed in its first block, recorded as (txid, 0)', async () => {
    const co = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.25') });
    await follower.syncOnce(); // the address reaches the watched set
    const txid = await h.node.sendEth(co.address, eth('0.25'), 1);
    await follower.syncOnce();
    expect(await h.checkout(co.id)).toMatchObject({ status: 'settled', exception: 'none', amountPaidBase: eth('0.25') });
    const block = await h.node.provider.getTransactionReceipt(txid);
    expect(await h.payments(co.id)).toEqual([
      expect.objectContaining({ asset: 'ETH', txid, output_index: 0, amount_base: eth('0.25').toString(), confirmations: 1, state: 'confirmed', block_hash: block!.blockHash }),
    ]);
    expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.settled']);
    expect(follower.cursor?.height).toBe(await h.tipHeight());
  });

  it('low_speed settles at exactly 6 confirmations (tip − block + 1), not at 5', async () => {
    const co = await h.createCheckout({ asset: 'ETH', dueBase: eth(1), speed: 'low_speed' });
    await follower.syncOnce();
    await h.node.sendEth(co.address, eth(1), 1);
    await follower.syncOnce();
    for (let confirmations = 1; confirmations <= 5; confirmations++) {
      expect((await h.checkout(co.id)).status).toBe('processing');
      expect((await h.payments(co.id))[0]).toMatchObject({ confirmations, state: 'confirmed' });
      await h.node.mine(1);
      await follower.syncOnce();
    }
    expect((await h.checkout(co.id)).status).toBe('settled');
    expect((await h.payments(co.id))[0]?.confirmations).toBe(6);
  });

  it('under-payment stays new (paid_partial); split payments add up to settle', async () => {
    const co = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.3') });
    await follower.syncOnce();
    await h.node.sendEth(co.address, eth('0.1'), 2);
    await follower.syncOnce();
    expect(await h.checkout(co.id)).toMatchObject({ status: 'new', exception: 'paid_partial', amountPaidBase: eth('0.1') });
    await h.node.sendEth(co.address, eth('0.1'), 3);
    await follower.syncOnce();
    expect(await h.checkout(co.id)).toMatchObject({ status: 'new', exception: 'paid_partial', amountPaidBase: eth('0.2') });
    await h.node.sendEth(co.address, eth('0.1'), 2);
    await follower.syncOnce();
    expect(await h.checkout(co.id)).toMatchObject({ status: 'settled', exception: 'none', amountPaidBase: eth('0.3') });
    expect(await h.payments(co.id)).toHaveLength(3);
    expect(await h.events(co.id)).toEqual(['checkout.paid_partial', 'checkout.processing', 'checkout.settled']);
  });

  it('over-payment settles as paid_over; an under-payment within tolerance counts as paid', async () => {
    const over = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.05') });
    const tolerated = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.05'), tolerancePct: '0.5' });
    await follower.syncOnce();
    await h.node.sendEth(over.address, eth('0.06'), 4);
    await h.node.sendEth(tolerated.address, eth('0.04975'), 4);
    await follower.syncOnce();
    expect(await h.checkout(over.id)).toMatchObject({ status: 'settled', exception: 'paid_over', amountPaidBase: eth('0.06') });
    expect(await h.checkout(tolerated.id)).toMatchObject({ status: 'settled', exception: 'none', amountPaidBase: eth('0.04975') });
  });

  it('exact USDC payment (6 decimals) by a Transfer log, recorded as (txid, log index)', async () => {
    const co = await h.createCheckout({ asset: 'USDC', dueBase: 49_800_000n });
    await follower.syncOnce();
    const txid = await h.sendUsdc(co.address, 49_800_000n);
    await follower.syncOnce();
    expect(await h.checkout(co.id)).toMatchObject({ status: 'settled', exception: 'none', amountPaidBase: 49_800_000n });
    const receipt = await h.node.provider.getTransactionReceipt(txid);
    const logIndex = receipt!.logs[0]!.index;
    expect(await h.payments(co.id)).toEqual([
      expect.objectContaining({ asset: 'USDC', txid, output_index: logIndex, amount_base: '49800000', confirmations: 1, state: 'confirmed' }),
    ]);
  });

  it('partial USDC payment stays new (paid_partial) until topped up; low_medium_speed waits for 2 blocks', async () => {
    const co = await h.createCheckout({ asset: 'USDC', dueBase: 10n * USDC, speed: 'low_medium_speed' });
    await follower.syncOnce();
    await h.sendUsdc(co.address, 4n * USDC);
    await follower.syncOnce();
    expect(await h.checkout(co.id)).toMatchObject({ status: 'new', exception: 'paid_partial', amountPaidBase: 4n * USDC });
    await h.sendUsdc(co.address, 6n * USDC);
    await follower.syncOnce();
    expect(await h.checkout(co.id)).toMatchObject({ status: 'processing', exception: 'none', amountPaidBase: 10n * USDC });
    await h.node.mine(1);
    await follower.syncOnce();
    // The first transfer has 3 confirmations, the second 2: every counted payment meets the policy.
    expect((await h.checkout(co.id)).status).toBe('settled');
    expect((await h.payments(co.id)).map((p) => p.confirmations).sort()).toEqual([2, 3]);
  });

  it('ignores transfers to unwatched addresses, and does not count a payment in the wrong asset', async () => {
    const ethCheckout = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.01') });
    const usdcCheckout = await h.createCheckout({ asset: 'USDC', dueBase: USDC });
    await follower.syncOnce();
    const stranger = Wallet.createRandom().address;
    const unrelatedEth = await h.node.sendEth(stranger, eth('0.01'), 5);
    const unrelatedUsdc = await h.sendUsdc(stranger, USDC);
    const usdcToEthCheckout = await h.sendUsdc(ethCheckout.address, USDC);
    const ethToUsdcCheckout = await h.node.sendEth(usdcCheckout.address, eth('0.01'), 5);
    await follower.syncOnce();
    for (const txid of [unrelatedEth, unrelatedUsdc, usdcToEthCheckout, ethToUsdcCheckout]) expect(await h.paymentsOfTx(txid)).toEqual([]);
    expect(await h.checkout(ethCheckout.id)).toMatchObject({ status: 'new', exception: 'none', amountPaidBase: 0n });
    expect(await h.checkout(usdcCheckout.id)).toMatchObject({ status: 'new', exception: 'none', amountPaidBase: 0n });
  });

  it('reports tip, processed height, lag and matched payments as metrics', async () => {
    await follower.syncOnce();
    const tip = await h.tipHeight();
    expect(await h.metricValue('coinstile_chain_node_tip_height')).toBe(tip);
    expect(await h.metricValue('coinstile_chain_processed_height')).toBe(tip);
    expect(await h.metricValue('coinstile_chain_lag_blocks')).toBe(0);
    expect(await h.metricValue('coinstile_chain_payments_matched_total')).toBe(10); // 1 + 1 + 3 + 2 + 1 + 2 payments above
    expect(follower.nodeTipHeight).toBe(tip);
  });
});
