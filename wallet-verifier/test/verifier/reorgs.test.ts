import type { CheckoutId } from '@coinstile/core';
import type { UtxoChainFollower } from '@coinstile/wallet-verifier';
import { ltc, VerifierHarness } from './verifier-harness';

describe('reorganisations on litecoind regtest (invalidateblock)', () => {
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

  /** A transaction spending `txid`'s inputs to one of the wallet's own addresses instead: the double spend. */
  async function conflictingTransaction(txid: string): Promise<string> {
    const tx = await h.node.walletRpc<{ vin: { txid: string; vout: number }[] }>('getrawtransaction', [txid, true]);
    let inputTotal = 0n;
    for (const vin of tx.vin) {
      const prev = await h.node.rpc<{ vout: { value: number; n: number }[] }>('getrawtransaction', [vin.txid, true]);
      inputTotal += BigInt(Math.round(prev.vout.find((o) => o.n === vin.vout)!.value * 1e8));
    }
    const raw = await h.node.rpc<string>('createrawtransaction', [
      tx.vin.map((v) => ({ txid: v.txid, vout: v.vout })),
      [{ [await h.node.newAddress()]: ltc(inputTotal - 100_000n) }],
    ]);
    const signed = await h.node.walletRpc<{ hex: string; complete: boolean }>('signrawtransactionwithwallet', [raw]);
    expect(signed.complete).toBe(true);
    return signed.hex;
  }

  /** Mines `hex` (which the mempool would refuse, it conflicts) straight into a block. */
  async function mineDirectly(hex: string): Promise<string> {
    const { hash } = await h.node.rpc<{ hash: string }>('generateblock', [await h.node.newAddress(), [hex]]);
    return hash;
  }

  /**
   * Mines one block paying a fresh address: right after invalidateblock, a block mined to the same
   * address in the same second would be the invalidated block again, which the node refuses.
   */
  async function mineElsewhere(): Promise<string[]> {
    return h.node.mine(1, await h.node.newAddress());
  }

  async function expectState(id: CheckoutId, status: string, payment: Record<string, unknown>): Promise<void> {
    expect((await h.checkout(id)).status).toBe(status);
    expect((await h.payments(id))[0]).toMatchObject(payment);
  }

  it.each([1, 2, 3, 4, 5, 6])(
    'depth %i: the payment goes back to unconfirmed, and settlement (low_speed = 6) happens only at 6 confirmations on the new branch',
    async (depth) => {
      const co = await h.createCheckout({ dueLitoshi: 20_000_000n, speed: 'low_speed' });
      await h.sync(follower);
      const txid = await h.node.sendToAddress(co.address, ltc(20_000_000n));
      const blocks = await h.node.mine(depth);
      await h.sync(follower);
      await expectState(co.id, depth < 6 ? 'processing' : 'settled', { txid, confirmations: depth, state: 'confirmed', block_hash: blocks[0] });
      const reorgsBefore = (await h.registry.getSingleMetric('coinstile_chain_reorgs_total')!.get()).values[0]?.value ?? 0;

      await h.node.invalidateBlock(blocks[0]!);
      await h.sync(follower);
      // Back in the mempool: live but unconfirmed; a settled checkout stays settled and nothing is reversed.
      await expectState(co.id, depth < 6 ? 'processing' : 'settled', { txid, confirmations: 0, state: 'pending', block_hash: null });
      expect((await h.registry.getSingleMetric('coinstile_chain_reorgs_total')!.get()).values[0]?.value).toBe(reorgsBefore + 1);
      expect(follower.cursor?.height).toBe(await h.node.rpc<number>('getblockcount'));

      // The new branch re-mines it; every block below 6 confirmations leaves the checkout processing.
      for (let confirmations = 1; confirmations <= 6; confirmations++) {
        const [block] = await mineElsewhere();
        await h.sync(follower);
        const expected = depth === 6 || confirmations === 6 ? 'settled' : 'processing';
        // Confirmations are recounted for checkouts still waiting on them: a settled one keeps the count
        // its payment had when it re-entered the chain.
        const counted = depth === 6 ? 1 : confirmations;
        await expectState(co.id, expected, { txid, confirmations: counted, state: 'confirmed', ...(confirmations === 1 ? { block_hash: block } : {}) });
      }
      const events = await h.events(co.id);
      expect(events).toEqual(['checkout.processing', 'checkout.settled']);
    },
  );

  it('a double spend mined on the new branch: the payment is replaced and the processing checkout invalid', async () => {
    const co = await h.createCheckout({ dueLitoshi: 15_000_000n, speed: 'low_speed' });
    await h.sync(follower);
    const txid = await h.node.sendToAddress(co.address, ltc(15_000_000n));
    const [block] = await h.node.mine(1);
    await h.sync(follower);
    await expectState(co.id, 'processing', { txid, confirmations: 1 });

    await h.node.invalidateBlock(block!);
    const conflict = await conflictingTransaction(txid);
    await mineDirectly(conflict);
    await mineElsewhere();
    await h.sync(follower);
    await expectState(co.id, 'invalid', { txid, state: 'replaced', confirmations: 0, block_hash: null });
    expect(await h.checkout(co.id)).toMatchObject({ invalidReason: 'double_spend' });
    expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.invalid']);
  });

  it('a settled payment double-spent after a reorg raises payment.reversed once, with a reversal ledger posting', async () => {
    const co = await h.createCheckout({ dueLitoshi: 12_000_000n, speed: 'medium_speed' });
    await h.sync(follower);
    const txid = await h.node.sendToAddress(co.address, ltc(12_000_000n));
    const [block] = await h.node.mine(1);
    await h.sync(follower);
    await expectState(co.id, 'settled', { txid, confirmations: 1 });

    await h.node.invalidateBlock(block!);
    await h.sync(follower);
    await expectState(co.id, 'settled', { txid, state: 'pending' });
    expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.settled']);

    await mineDirectly(await conflictingTransaction(txid));
    await h.sync(follower, 2);
    await expectState(co.id, 'settled', { txid, state: 'replaced' });
    const events = await h.eventPayloads(co.id);
    expect(events.map((e) => e.type)).toEqual(['checkout.processing', 'checkout.settled', 'payment.reversed']);
    const reversed = events[2]!;
    expect(reversed.type === 'payment.reversed' && reversed.payment).toMatchObject({ txid, state: 'replaced', amountBase: '12000000' });
    const postings = await h.db.kysely.selectFrom('ledger_postings').selectAll().where('checkout_id', '=', co.id).execute();
    expect(postings).toEqual([expect.objectContaining({ kind: 'payment_reversal', payment_id: (await h.payments(co.id))[0]!.id })]);
    await mineElsewhere();
    await h.sync(follower);
    expect(await h.events(co.id)).toHaveLength(3);
  });

  it('a settled payment that leaves both chain and mempool (its coinbase input immature again after the reorg) is orphaned and reversed', async () => {
    const co = await h.createCheckout({ dueLitoshi: 10_000_000n, speed: 'medium_speed' });
    await h.sync(follower);
    await mineElsewhere();
    const tip = await h.node.rpc<number>('getblockcount');
    // The coinbase that matured with this very tip: spendable in block tip + 1, immature again if the tip goes.
    const coinbaseHeight = tip - 99;
    const coinbaseBlock = await h.node.rpc<{ tx: string[] }>('getblock', [await h.node.rpc<string>('getblockhash', [coinbaseHeight])]);
    const coinbase = await h.node.rpc<{ txid: string; vout: { n: number; value: number; scriptPubKey: { type: string } }[] }>('getrawtransaction', [coinbaseBlock.tx[0], true]);
    const reward = coinbase.vout.find((o) => o.scriptPubKey.type !== 'nulldata')!;
    expect(await h.node.rpc('gettxout', [coinbase.txid, reward.n, true])).not.toBeNull();
    const rewardLitoshi = BigInt(Math.round(reward.value * 1e8));
    const raw = await h.node.rpc<string>('createrawtransaction', [
      [{ txid: coinbase.txid, vout: reward.n }],
      [{ [co.address]: ltc(10_000_000n) }, { [await h.node.newAddress()]: ltc(rewardLitoshi - 10_000_000n - 100_000n) }],
    ]);
    const signed = await h.node.walletRpc<{ hex: string }>('signrawtransactionwithwallet', [raw]);
    const txid = await h.node.rpc<string>('sendrawtransaction', [signed.hex]);
    const [paid] = await mineElsewhere();
    await h.sync(follower);
    await expectState(co.id, 'settled', { txid, confirmations: 1, block_hash: paid });

    // Take away the tip the payment's block builds on: the coinbase it spends is immature again, so the
    // node drops the payment from the mempool instead of taking it back; nothing else spent its input.
    await h.node.invalidateBlock(await h.node.rpc<string>('getblockhash', [tip]));
    expect(await h.node.rpc<string[]>('getrawmempool')).not.toContain(txid);
    await h.sync(follower);
    await expectState(co.id, 'settled', { txid, state: 'orphaned', confirmations: 0, block_hash: null });
    const events = await h.eventPayloads(co.id);
    expect(events.map((e) => e.type)).toEqual(['checkout.processing', 'checkout.settled', 'payment.reversed']);
    expect(events[2]!.type === 'payment.reversed' && events[2]!.payment.state).toBe('orphaned');
    expect(await h.db.kysely.selectFrom('ledger_postings').select('kind').where('checkout_id', '=', co.id).execute()).toEqual([{ kind: 'payment_reversal' }]);
  });
});
