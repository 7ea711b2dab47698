import { Wallet } from 'ethers';
import type { EvmChainFollower } from '@coinstile/wallet-verifier';
import { eth, EvmHarness } from './evm-harness';

describe('reorgs on a Hardhat node (evm_snapshot / evm_revert, another branch mined)', () => {
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

  it('payment reorged out onto an empty branch: orphaned, the checkout reopens and never settles on it', async () => {
    const reorgsBefore = await h.metricValue('coinstile_chain_reorgs_total');
    const co = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.5'), speed: 'low_medium_speed' });
    await follower.syncOnce();
    const snapshot = await h.node.snapshot();
    const txid = await h.node.sendEth(co.address, eth('0.5'), 6);
    await follower.syncOnce();
    expect((await h.checkout(co.id)).status).toBe('processing');
    expect(await h.payments(co.id)).toEqual([expect.objectContaining({ txid, confirmations: 1, state: 'confirmed' })]);

    await h.node.revert(snapshot);
    // The node is now one block behind the follower on the follower's own chain: nothing to undo yet.
    const cursor = follower.cursor;
    await follower.syncOnce();
    expect(follower.cursor).toEqual(cursor);
    expect(await h.metricValue('coinstile_chain_reorgs_total')).toBe(reorgsBefore);
    await h.node.mine(3);
    await follower.syncOnce();
    expect(await h.payments(co.id)).toEqual([expect.objectContaining({ txid, confirmations: 0, state: 'orphaned', block_hash: null })]);
    expect(await h.checkout(co.id)).toMatchObject({ status: 'new', exception: 'none', amountPaidBase: 0n });
    expect(await h.metricValue('coinstile_chain_reorgs_total')).toBe(reorgsBefore + 1);
    expect(await h.metricValue('coinstile_chain_last_reorg_depth')).toBe(1);

    await h.node.mine(6);
    await follower.syncOnce();
    expect((await h.checkout(co.id)).status).toBe('new');
    expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.reopened']);
    expect(follower.cursor).toEqual({ height: await h.tipHeight(), hash: (await h.node.provider.getBlock('latest'))!.hash });
  });

  it('a 4-block-deep reorg under low_speed: the payment (4 confirmations) is orphaned, never settles', async () => {
    const co = await h.createCheckout({ asset: 'USDC', dueBase: 8_000_000n, speed: 'low_speed' });
    await follower.syncOnce();
    const snapshot = await h.node.snapshot();
    const txid = await h.sendUsdc(co.address, 8_000_000n);
    await h.node.mine(3);
    await follower.syncOnce();
    expect(await h.paymentsOfTx(txid)).toEqual([expect.objectContaining({ confirmations: 4, state: 'confirmed' })]);
    expect((await h.checkout(co.id)).status).toBe('processing');

    await h.node.revert(snapshot);
    await h.node.mine(6);
    await follower.syncOnce();
    expect(await h.metricValue('coinstile_chain_last_reorg_depth')).toBe(4);
    expect(await h.paymentsOfTx(txid)).toEqual([expect.objectContaining({ confirmations: 0, state: 'orphaned' })]);
    expect((await h.checkout(co.id)).status).toBe('new');
    await h.node.mine(6);
    await follower.syncOnce();
    expect((await h.checkout(co.id)).status).toBe('new');
  });

  it('a reorg that happens while the follower is down is found from the persisted cursor at restart', async () => {
    const co = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.6'), speed: 'low_medium_speed' });
    await follower.syncOnce();
    const snapshot = await h.node.snapshot();
    const txid = await h.node.sendEth(co.address, eth('0.6'), 17);
    await follower.syncOnce();
    expect((await h.checkout(co.id)).status).toBe('processing');

    // The follower is down while the chain reorganises.
    await h.node.revert(snapshot);
    await h.node.mine(4);
    follower = h.follower();
    await follower.start();
    await follower.syncOnce();
    expect(await h.paymentsOfTx(txid)).toEqual([expect.objectContaining({ state: 'orphaned', confirmations: 0 })]);
    expect((await h.checkout(co.id)).status).toBe('new');
    expect(follower.cursor?.height).toBe(await h.tipHeight());
  });

  it('a branch paying a smaller amount from another sender: the vanished payment is orphaned, the new one counts (paid_partial)', async () => {
    const co = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.4'), speed: 'low_medium_speed' });
    await follower.syncOnce();
    const snapshot = await h.node.snapshot();
    const vanished = await h.node.sendEth(co.address, eth('0.4'), 7);
    await follower.syncOnce();
    expect((await h.checkout(co.id)).status).toBe('processing');

    await h.node.revert(snapshot);
    const smaller = await h.node.sendEth(co.address, eth('0.1'), 8);
    await h.node.mine(2);
    await follower.syncOnce();
    const payments = await h.payments(co.id);
    expect(payments).toHaveLength(2);
    expect(payments.find((p) => p.txid === vanished)).toMatchObject({ state: 'orphaned', confirmations: 0 });
    expect(payments.find((p) => p.txid === smaller)).toMatchObject({ state: 'confirmed', confirmations: 3, amount_base: eth('0.1').toString() });
    expect(await h.checkout(co.id)).toMatchObject({ status: 'new', exception: 'paid_partial', amountPaidBase: eth('0.1') });
    expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.reopened']);
  });

  it('the same sender pays less on the new branch (same nonce): the vanished payment is replaced, the checkout invalid (double spend)', async () => {
    const co = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.3'), speed: 'low_medium_speed' });
    await follower.syncOnce();
    const snapshot = await h.node.snapshot();
    const vanished = await h.node.sendEth(co.address, eth('0.3'), 9);
    await follower.syncOnce();
    expect((await h.checkout(co.id)).status).toBe('processing');

    await h.node.revert(snapshot);
    const conflicting = await h.node.sendEth(co.address, eth('0.01'), 9);
    await h.node.mine(1);
    await follower.syncOnce();
    const payments = await h.payments(co.id);
    expect(payments.find((p) => p.txid === vanished)).toMatchObject({ state: 'replaced', confirmations: 0 });
    expect(payments.find((p) => p.txid === conflicting)).toMatchObject({ state: 'confirmed', confirmations: 2 });
    expect(await h.checkout(co.id)).toMatchObject({ status: 'invalid', invalidReason: 'double_spend' });
    await h.node.mine(6);
    await follower.syncOnce();
    expect((await h.checkout(co.id)).status).toBe('invalid');
  });

  it('a USDC transfer re-mined on the new branch keeps its payment: confirmed again, counted once, settles at policy', async () => {
    const co = await h.createCheckout({ asset: 'USDC', dueBase: 25_000_000n, speed: 'low_medium_speed' });
    await follower.syncOnce();
    // A payer whose key the test holds, so the very same signed transaction can go on the new branch.
    const payer = Wallet.createRandom().connect(h.node.provider);
    await h.node.sendEth(payer.address, eth(1), 11);
    await h.sendUsdc(payer.address, 25_000_000n);
    const data = h.usdc.interface.encodeFunctionData('transfer', [co.address, 25_000_000n]);
    const raw = await payer.signTransaction(await payer.populateTransaction({ to: await h.usdc.getAddress(), data, gasLimit: 100_000 }));
    await follower.syncOnce();
    await h.node.provider.send('evm_setAutomine', [false]);
    try {
      const snapshot = await h.node.snapshot();
      const txid = (await h.node.provider.send('eth_sendRawTransaction', [raw])) as string;
      await h.node.mine(1);
      await follower.syncOnce();
      expect((await h.checkout(co.id)).status).toBe('processing');
      expect(await h.payments(co.id)).toEqual([expect.objectContaining({ txid, state: 'confirmed', confirmations: 1 })]);

      await h.node.revert(snapshot);
      await h.node.mine(1); // an empty block at the payment's height: the payment leaves the chain
      await follower.syncOnce();
      expect((await h.checkout(co.id)).status).toBe('new');
      expect(await h.payments(co.id)).toEqual([expect.objectContaining({ txid, state: 'orphaned', confirmations: 0 })]);
      expect(await h.node.provider.send('eth_sendRawTransaction', [raw])).toBe(txid);
      await h.node.mine(1);
      await follower.syncOnce();
      expect(await h.payments(co.id)).toEqual([expect.objectContaining({ txid, state: 'confirmed', confirmations: 1 })]);
      expect((await h.checkout(co.id)).status).toBe('processing');
      await h.node.mine(1);
      await follower.syncOnce();
      expect((await h.checkout(co.id)).status).toBe('settled');
      expect(await h.payments(co.id)).toHaveLength(1);
    } finally {
      await h.node.provider.send('evm_setAutomine', [true]);
    }
  });

  it('a settled payment reorged out raises payment.reversed once, with its reversal posting', async () => {
    const co = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.2'), speed: 'medium_speed' });
    await follower.syncOnce();
    const snapshot = await h.node.snapshot();
    const txid = await h.node.sendEth(co.address, eth('0.2'), 10);
    await follower.syncOnce();
    expect((await h.checkout(co.id)).status).toBe('settled');

    await h.node.revert(snapshot);
    await h.node.mine(2);
    await follower.syncOnce();
    await h.node.mine(1);
    await follower.syncOnce();
    expect(await h.paymentsOfTx(txid)).toEqual([expect.objectContaining({ state: 'orphaned' })]);
    expect(await h.checkout(co.id)).toMatchObject({ status: 'settled' });
    expect((await h.checkout(co.id)).reversedPaymentIds).toHaveLength(1);
    expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.settled', 'payment.reversed']);
    const postings = await h.db.kysely.selectFrom('ledger_postings').select('id').where('checkout_id', '=', co.id).execute();
    expect(postings).toHaveLength(1);
  });
});
