import { CheckoutEvaluator, EvmChainFollower } from '@coinstile/wallet-verifier';
import { sql } from 'kysely';
import { cryptoRandomSource } from '@coinstile/platform';
import { eth, EvmHarness } from './evm-harness';

/** An evaluator that fails like a process killed after the round recorded its payments, before evaluating. */
class CrashingEvaluator extends CheckoutEvaluator {
  override async evaluateAll(): Promise<number> {
    throw new Error('killed before evaluation');
  }
}

describe('EVM follower restarts: catch-up from the persisted cursor, nothing recorded twice', () => {
  let h: EvmHarness;

  beforeAll(async () => {
    h = await EvmHarness.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  async function paymentRowsPerTx(): Promise<Map<string, number>> {
    const rows = await h.db.kysely.selectFrom('payments').select(['txid', 'output_index']).execute();
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(`${r.txid}:${r.output_index}`, (counts.get(`${r.txid}:${r.output_index}`) ?? 0) + 1);
    return counts;
  }

  it('catches up after downtime over many blocks, in chunked ranges, and settles what was paid meanwhile', async () => {
    const first = h.follower();
    await first.start();
    const ethCheckout = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.7'), speed: 'low_medium_speed' });
    const usdcCheckout = await h.createCheckout({ asset: 'USDC', dueBase: 12_340_000n, speed: 'low_medium_speed' });
    await first.syncOnce();
    const stoppedAt = first.cursor!.height;

    // The follower is down from here on.
    const ethTx = await h.node.sendEth(ethCheckout.address, eth('0.7'), 12);
    await h.node.mine(4);
    const usdcTx = await h.sendUsdc(usdcCheckout.address, 12_340_000n);
    await h.node.mine(5);
    const tip = await h.tipHeight();
    expect(tip - stoppedAt).toBe(11);

    const second = h.follower({ blocksPerBatch: 3, maxBlocksPerRound: 5 });
    await second.start();
    expect(second.cursor?.height).toBe(stoppedAt);
    await second.syncOnce();
    expect(second.cursor?.height).toBe(stoppedAt + 5);
    expect(await h.metricValue('coinstile_chain_lag_blocks')).toBe(6);
    // The ETH payment (block stoppedAt+1) has 5 confirmations after the first round: settled already.
    expect(await h.checkout(ethCheckout.id)).toMatchObject({ status: 'settled' });
    await second.syncOnce();
    expect(second.cursor?.height).toBe(stoppedAt + 10);
    await second.syncOnce();
    expect(second.cursor?.height).toBe(tip);
    expect(await h.metricValue('coinstile_chain_lag_blocks')).toBe(0);
    expect(await h.checkout(ethCheckout.id)).toMatchObject({ status: 'settled', amountPaidBase: eth('0.7') });
    expect(await h.checkout(usdcCheckout.id)).toMatchObject({ status: 'settled', amountPaidBase: 12_340_000n });
    // Counts stop being refreshed once a checkout is settled (the shared PaymentStore's rule): each payment
    // keeps the count it settled with, 5 at the end of the round that connected 4 blocks above it.
    expect(await h.paymentsOfTx(ethTx)).toEqual([expect.objectContaining({ confirmations: 5, state: 'confirmed' })]);
    expect(await h.paymentsOfTx(usdcTx)).toEqual([expect.objectContaining({ confirmations: 5, state: 'confirmed' })]);
  });

  it('killed between recording payments and evaluating: the next instance evaluates them at start', async () => {
    const co = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.15') });
    const evaluator = new CrashingEvaluator(h.db, { clock: h.clock, random: cryptoRandomSource });
    const crashing = new EvmChainFollower(h.spec, h.provider, h.db, evaluator, h.clock, cryptoRandomSource, h.logger, h.metrics);
    await expect(crashing.start()).rejects.toThrow('killed before evaluation');
    await h.node.sendEth(co.address, eth('0.15'), 13);
    await expect(crashing.syncOnce()).rejects.toThrow('killed before evaluation');
    expect(await h.payments(co.id)).toEqual([expect.objectContaining({ state: 'confirmed', confirmations: 1 })]);
    expect((await h.checkout(co.id)).status).toBe('new');

    const next = h.follower();
    await next.start();
    expect(await h.checkout(co.id)).toMatchObject({ status: 'settled', amountPaidBase: eth('0.15') });
    expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.settled']);
  });

  it('a cursor set back (blocks processed again) records no payment twice and announces nothing twice', async () => {
    const co = await h.createCheckout({ asset: 'USDC', dueBase: 5_000_000n, speed: 'low_speed' });
    let follower: EvmChainFollower = h.follower();
    await follower.start();
    await follower.syncOnce();
    await h.sendUsdc(co.address, 2_000_000n);
    await h.sendUsdc(co.address, 3_000_000n);
    await h.node.mine(3);
    await follower.syncOnce();
    expect((await h.checkout(co.id)).status).toBe('processing');
    const eventsBefore = await h.events(co.id);
    const before = await paymentRowsPerTx();

    const back = await h.db.kysely
      .selectFrom('chain_recent_blocks')
      .select(['height', 'hash'])
      .where('chain', '=', 'ethereum')
      .where('height', '=', (eb) => eb.selectFrom('payments').select(sql<string>`min(block_height) - 1`.as('h')).where('checkout_id', '=', co.id))
      .executeTakeFirstOrThrow();
    await h.db.kysely.updateTable('chain_cursors').set({ height: back.height, block_hash: back.hash }).where('chain', '=', 'ethereum').execute();

    follower = h.follower({ blocksPerBatch: 2 });
    await follower.start();
    expect(follower.cursor?.height).toBe(Number(back.height));
    await follower.syncOnce();
    expect(follower.cursor?.height).toBe(await h.tipHeight());
    expect(await paymentRowsPerTx()).toEqual(before);
    for (const count of before.values()) expect(count).toBe(1);
    expect(await h.events(co.id)).toEqual(eventsBefore);
    await h.node.mine(1);
    await follower.syncOnce();
    expect((await h.payments(co.id)).map((p) => p.confirmations).sort()).toEqual([5, 6]);
    expect((await h.checkout(co.id)).status).toBe('processing');
    await h.node.mine(1);
    await follower.syncOnce();
    expect((await h.checkout(co.id)).status).toBe('settled');
    expect(await h.payments(co.id)).toHaveLength(2);
  });

  it('an address that reaches the watched set after the block paying it was processed is matched late', async () => {
    const follower = h.follower();
    await follower.start();
    const reserved = h.reserveAddress();
    const txid = await h.node.sendEth(reserved.address, eth('0.02'), 14);
    await follower.syncOnce(); // the block is processed while no checkout has the address yet
    expect(await h.paymentsOfTx(txid)).toEqual([]);
    const co = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.02'), reserved });
    await follower.syncOnce();
    expect(await h.payments(co.id)).toEqual([expect.objectContaining({ txid, confirmations: 1, state: 'confirmed' })]);
    expect((await h.checkout(co.id)).status).toBe('settled');
  });
});
