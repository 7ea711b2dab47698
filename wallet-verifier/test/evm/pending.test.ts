import type { EvmChainFollower } from '@coinstile/wallet-verifier';
import { eth, EvmHarness } from './evm-harness';

/**
 * Unconfirmed ETH: with Hardhat's automine off, transactions wait in its pool and show in its pending
 * block (`eth_getBlockByNumber("pending", true)`), as on a real node's mempool.
 */
describe('pending ETH payments on a Hardhat node (automine off)', () => {
  let h: EvmHarness;
  let follower: EvmChainFollower;

  beforeAll(async () => {
    h = await EvmHarness.start();
    follower = h.follower();
    await follower.start();
    await h.node.provider.send('evm_setAutomine', [false]);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Sends ETH from a funded Hardhat account without waiting for a block; returns the tx hash. */
  async function sendPending(to: string, amountWei: bigint, fromIndex: number, nonce?: number): Promise<string> {
    const signer = await h.node.signer(fromIndex);
    const tx = await signer.sendTransaction({ to, value: amountWei, ...(nonce === undefined ? {} : { nonce }) });
    return tx.hash;
  }

  it('a paid-in-full pending transaction makes the checkout processing (0 confirmations); its block settles the same payment', async () => {
    const co = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.2') });
    await follower.syncOnce(); // the address reaches the watched set
    const txid = await sendPending(co.address, eth('0.2'), 1);
    await follower.syncOnce();
    expect(await h.checkout(co.id)).toMatchObject({ status: 'processing', exception: 'none', amountPaidBase: eth('0.2') });
    const [pending] = await h.payments(co.id);
    expect(pending).toMatchObject({ asset: 'ETH', txid, output_index: 0, confirmations: 0, state: 'pending', block_hash: null });
    // Waiting in the pool, it is not written again every round.
    await follower.syncOnce();
    expect(await h.events(co.id)).toEqual(['checkout.processing']);

    await h.node.provider.send('evm_mine', []);
    await follower.syncOnce();
    const receipt = await h.node.provider.getTransactionReceipt(txid);
    expect(await h.checkout(co.id)).toMatchObject({ status: 'settled', amountPaidBase: eth('0.2') });
    expect(await h.payments(co.id)).toEqual([expect.objectContaining({ id: pending!.id, confirmations: 1, state: 'confirmed', block_hash: receipt!.blockHash })]);
    expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.settled']);
  });

  it('high_speed does not settle on a pending EVM transaction (replaceable by its nonce): it waits for the block', async () => {
    const co = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.01'), speed: 'high_speed' });
    await follower.syncOnce();
    await sendPending(co.address, eth('0.01'), 2);
    await follower.syncOnce();
    expect((await h.checkout(co.id)).status).toBe('processing');
    await h.node.provider.send('evm_mine', []);
    await follower.syncOnce();
    expect((await h.checkout(co.id)).status).toBe('settled');
  });

  it('a pending payment replaced by another transaction with its nonce is a double spend: the checkout turns invalid', async () => {
    const co = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.3') });
    await follower.syncOnce();
    const signer = await h.node.signer(3);
    const nonce = await h.node.provider.getTransactionCount(await signer.getAddress(), 'latest');
    const txid = await sendPending(co.address, eth('0.3'), 3, nonce);
    await follower.syncOnce();
    expect((await h.checkout(co.id)).status).toBe('processing');

    // The same nonce, to another address, at a higher fee: the node drops the payment from its pool.
    const fee = await h.node.provider.getFeeData();
    const replacement = await signer.sendTransaction({
      to: await (await h.node.signer(4)).getAddress(),
      value: 1n,
      nonce,
      maxFeePerGas: fee.maxFeePerGas! * 3n,
      maxPriorityFeePerGas: fee.maxPriorityFeePerGas! * 3n,
    });
    await h.node.provider.send('evm_mine', []);
    expect((await h.node.provider.getTransactionReceipt(replacement.hash))?.status).toBe(1);
    await follower.syncOnce();
    expect(await h.paymentsOfTx(txid)).toEqual([expect.objectContaining({ state: 'replaced', confirmations: 0 })]);
    expect(await h.checkout(co.id)).toMatchObject({ status: 'invalid', invalidReason: 'double_spend' });
    expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.invalid']);
  });
});
