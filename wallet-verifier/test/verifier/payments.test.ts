import { ltc, VerifierHarness } from './verifier-harness';
import { ExpirySweeper, type UtxoChainFollower } from '@coinstile/wallet-verifier';

const MIN = 60_000;

describe('payments on litecoind regtest, matched by the block follower', () => {
  let h: VerifierHarness;
  let follower: UtxoChainFollower;

  beforeAll(async () => {
    h = await VerifierHarness.start();
    follower = h.follower();
    await follower.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('exact payment: mempool → processing, one block → settled at medium_speed (1 confirmation)', async () => {
    const co = await h.createCheckout({ dueLitoshi: 50_000_000n, speed: 'medium_speed' });
    await h.sync(follower); // the address reaches the watched set
    const txid = await h.node.sendToAddress(co.address, ltc(50_000_000n));
    await h.sync(follower);
    expect((await h.checkout(co.id)).status).toBe('processing');
    expect(await h.payments(co.id)).toEqual([
      expect.objectContaining({ txid, amount_base: '50000000', confirmations: 0, state: 'pending', block_hash: null }),
    ]);
    const [block] = await h.node.mine(1);
    await h.sync(follower);
    const settled = await h.checkout(co.id);
    expect(settled).toMatchObject({ status: 'settled', exception: 'none', amountPaidBase: 50_000_000n });
    expect(await h.payments(co.id)).toEqual([expect.objectContaining({ confirmations: 1, state: 'confirmed', block_hash: block })]);
    expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.settled']);
  });

  it('low_speed settles at exactly 6 confirmations, not at 5', async () => {
    const co = await h.createCheckout({ dueLitoshi: 30_000_000n, speed: 'low_speed' });
    await h.sync(follower);
    await h.node.sendToAddress(co.address, ltc(30_000_000n));
    for (let confirmations = 1; confirmations <= 5; confirmations++) {
      await h.node.mine(1);
      await h.sync(follower);
      expect((await h.checkout(co.id)).status).toBe('processing');
      expect((await h.payments(co.id))[0]).toMatchObject({ confirmations, state: 'confirmed' });
    }
    await h.node.mine(1);
    await h.sync(follower);
    expect((await h.checkout(co.id)).status).toBe('settled');
    expect((await h.payments(co.id))[0]?.confirmations).toBe(6);
  });

  it('under-payment stays new (paid_partial); a top-up completes it; split payments add up', async () => {
    const co = await h.createCheckout({ dueLitoshi: 40_000_000n });
    await h.sync(follower);
    await h.node.sendToAddress(co.address, ltc(10_000_000n));
    await h.sync(follower);
    expect(await h.checkout(co.id)).toMatchObject({ status: 'new', exception: 'paid_partial', amountPaidBase: 10_000_000n });
    await h.node.sendToAddress(co.address, ltc(10_000_000n));
    await h.node.mine(1);
    await h.sync(follower);
    expect(await h.checkout(co.id)).toMatchObject({ status: 'new', exception: 'paid_partial', amountPaidBase: 20_000_000n });
    await h.node.sendToAddress(co.address, ltc(20_000_000n));
    await h.sync(follower);
    expect(await h.checkout(co.id)).toMatchObject({ status: 'processing', exception: 'none', amountPaidBase: 40_000_000n });
    expect(await h.payments(co.id)).toHaveLength(3);
    await h.node.mine(1);
    await h.sync(follower);
    expect((await h.checkout(co.id)).status).toBe('settled');
    expect(await h.events(co.id)).toEqual(['checkout.paid_partial', 'checkout.processing', 'checkout.settled']);
  });

  it('over-payment settles with exception paid_over; under within tolerance counts as paid', async () => {
    const over = await h.createCheckout({ dueLitoshi: 10_000_000n });
    const tolerated = await h.createCheckout({ dueLitoshi: 10_000_000n, tolerancePct: '0.5' });
    await h.sync(follower);
    await h.node.sendToAddress(over.address, ltc(12_000_000n));
    await h.node.sendToAddress(tolerated.address, ltc(9_950_000n));
    await h.node.mine(1);
    await h.sync(follower);
    expect(await h.checkout(over.id)).toMatchObject({ status: 'settled', exception: 'paid_over', amountPaidBase: 12_000_000n });
    expect(await h.checkout(tolerated.id)).toMatchObject({ status: 'settled', exception: 'none', amountPaidBase: 9_950_000n });
  });

  it('expiry: the sweeper expires an unpaid checkout; a payment after expiry flags paid_late', async () => {
    const sweeper = new ExpirySweeper(h.db, h.evaluator, h.clock, h.logger);
    const co = await h.createCheckout({ dueLitoshi: 10_000_000n });
    await h.sync(follower);
    h.clock.advance(16 * MIN);
    await sweeper.sweepOnce();
    expect((await h.checkout(co.id)).status).toBe('expired');
    await h.node.sendToAddress(co.address, ltc(10_000_000n));
    await h.sync(follower);
    expect(await h.checkout(co.id)).toMatchObject({ status: 'expired', exception: 'paid_late' });
    expect(await h.events(co.id)).toEqual(['checkout.expired', 'checkout.paid_late']);
    await h.node.mine(1);
    await h.sync(follower);
    expect(await h.events(co.id)).toEqual(['checkout.expired', 'checkout.paid_late']);
  });

  it('exactly once: evaluations racing on one checkout (followers, sweepers) write each transition and its event once', async () => {
    const co = await h.createCheckout({ dueLitoshi: 10_000_000n });
    const sweepers = [1, 2, 3].map(() => new ExpirySweeper(h.db, h.evaluator, h.clock, h.logger));
    h.clock.advance(16 * MIN);
    const outcomes = await Promise.all([
      ...Array.from({ length: 6 }, () => h.evaluator.evaluate(co.id)),
      ...sweepers.map((s) => s.sweepOnce()),
    ]);
    expect(outcomes.slice(0, 6).filter((o) => o === 'written').length + outcomes.slice(6).reduce<number>((n, w) => n + (w as number), 0)).toBe(1);
    expect(await h.checkout(co.id)).toMatchObject({ status: 'expired', version: 2 });
    expect(await h.events(co.id)).toEqual(['checkout.expired']);
  });

  it('RBF: a bumpfee replacement mined instead of the original: original replaced, replacement matched and settles', async () => {
    const co = await h.createCheckout({ dueLitoshi: 25_000_000n });
    await h.sync(follower);
    const original = await h.node.sendToAddress(co.address, ltc(25_000_000n), { replaceable: true });
    await h.sync(follower);
    expect(await h.payments(co.id)).toEqual([expect.objectContaining({ txid: original, rbf_signalled: true, state: 'pending' })]);
    expect((await h.checkout(co.id)).status).toBe('processing');
    // Litecoin Core's mempool refuses BIP125 replacements by default (-mempoolreplacement=0), so the
    // wallet's bumped transaction reaches the chain the way a full-RBF miner would put it there: mined
    // directly (generateblock), evicting the original from the mempool.
    const bumped = await h.node.walletRpc<{ txid: string }>('bumpfee', [original]);
    const { hex } = await h.node.walletRpc<{ hex: string }>('gettransaction', [bumped.txid]);
    const miner = await h.node.newAddress();
    const { hash } = await h.node.rpc<{ hash: string }>('generateblock', [miner, [hex]]);
    await h.sync(follower);
    const payments = await h.payments(co.id);
    expect(payments).toHaveLength(2);
    expect(payments.find((p) => p.txid === original)).toMatchObject({ state: 'replaced', block_hash: null });
    expect(payments.find((p) => p.txid === bumped.txid)).toMatchObject({ state: 'confirmed', block_hash: hash, rbf_signalled: true });
    expect(await h.checkout(co.id)).toMatchObject({ status: 'settled', amountPaidBase: 25_000_000n });
    expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.settled']);
  });

  it('an address committed late (after a higher address_seq) is matched against the mempool and the blocks processed meanwhile', async () => {
    let late: { id: string; address: string } | undefined;
    let lateInMempool: { id: string; address: string } | undefined;
    await h.db.transaction(async (trx) => {
      // These checkouts' address numbers are taken now but visible only at commit, after a later one's.
      late = await h.createCheckout({ dueLitoshi: 5_000_000n }, trx);
      lateInMempool = await h.createCheckout({ dueLitoshi: 5_000_000n }, trx);
      const early = await h.createCheckout({ dueLitoshi: 5_000_000n });
      await h.node.sendToAddress(late.address, ltc(5_000_000n));
      await h.node.sendToAddress(early.address, ltc(5_000_000n));
      await h.node.mine(1);
      await follower.syncOnce();
      expect((await h.checkout(early.id)).status).toBe('settled');
      await h.node.sendToAddress(lateInMempool.address, ltc(5_000_000n));
      await follower.syncOnce();
    });
    expect(await h.payments(late!.id as never)).toEqual([]);
    await follower.syncOnce();
    expect((await h.checkout(late!.id as never)).status).toBe('settled');
    expect((await h.checkout(lateInMempool!.id as never)).status).toBe('processing');
  });

  it('a follower starting while a checkout transaction is in flight still picks that address up once it commits', async () => {
    let inFlight: { id: string; address: string } | undefined;
    let restarted: UtxoChainFollower | undefined;
    await h.db.transaction(async (trx) => {
      inFlight = await h.createCheckout({ dueLitoshi: 6_000_000n }, trx);
      await h.createCheckout({ dueLitoshi: 6_000_000n });
      restarted = h.follower();
      await restarted.start();
    });
    await h.node.sendToAddress(inFlight!.address, ltc(6_000_000n));
    await restarted!.syncOnce();
    expect((await h.checkout(inFlight!.id as never)).status).toBe('processing');
    await h.node.mine(1);
    await restarted!.syncOnce();
    expect((await h.checkout(inFlight!.id as never)).status).toBe('settled');
    expect(await h.events(inFlight!.id as never)).toEqual(['checkout.processing', 'checkout.settled']);
  });
});
