import type { UtxoChainFollower } from '@coinstile/wallet-verifier';
import { ltc, VerifierHarness } from './verifier-harness';

describe('embedded default: the follower on PGlite (migration 0003 included)', () => {
  let h: VerifierHarness;
  let follower: UtxoChainFollower;

  beforeAll(async () => {
    h = await VerifierHarness.start('pglite');
    follower = h.follower();
    await follower.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('matches, confirms, survives a reorg and settles exactly at policy (low_medium_speed = 2)', async () => {
    const co = await h.createCheckout({ dueLitoshi: 9_000_000n, speed: 'low_medium_speed' });
    await h.sync(follower);
    const txid = await h.node.sendToAddress(co.address, ltc(9_000_000n));
    await h.sync(follower);
    expect((await h.checkout(co.id)).status).toBe('processing');
    const [block] = await h.node.mine(1, await h.node.newAddress());
    await h.sync(follower);
    expect((await h.payments(co.id))[0]).toMatchObject({ txid, state: 'confirmed', confirmations: 1, block_hash: block });
    await h.node.invalidateBlock(block!);
    await h.sync(follower);
    expect((await h.checkout(co.id)).status).toBe('processing');
    expect((await h.payments(co.id))[0]).toMatchObject({ txid, state: 'pending', confirmations: 0, block_hash: null });
    await h.node.mine(1, await h.node.newAddress());
    await h.sync(follower);
    expect((await h.checkout(co.id)).status).toBe('processing');
    await h.node.mine(1, await h.node.newAddress());
    await h.sync(follower);
    expect((await h.checkout(co.id)).status).toBe('settled');
    expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.settled']);
  });
});
