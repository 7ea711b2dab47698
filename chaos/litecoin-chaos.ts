import { bitcoinRpc } from '@coinstile/platform';
import type { LitecoinRegtest } from '@coinstile/testkit';
import { LitecoinTimeline, type MinedBlock } from './chain-timeline';
import type { SeededRandom } from './seeded-random';
import { SerialQueue, sleep } from './serial-queue';

/** Coinbase outputs of the payer: 30 more 50 LTC coins. */
const EXTRA_FUNDING_BLOCKS = 30;
/** Blocks a coinbase output waits before it may be spent. */
const COINBASE_MATURITY = 100;
/** The double-spend wallet's coins: one per double spend, kept apart so no other payment depends on them. */
const DOUBLE_SPEND_COINS = 12;
/** The confirmations the double-spend store asks for (low_speed): the victim is always reorged out below it. */
export const DOUBLE_SPEND_REQUIRED_CONFIRMATIONS = 6;
export const MAX_REORG_DEPTH = 6;

interface PendingPayment {
  readonly address: string;
  readonly amountLtc: string;
  readonly resolve: (txid: string) => void;
  readonly reject: (err: unknown) => void;
}

export interface DoubleSpendOutcome {
  readonly txid: string;
  readonly conflictTxid: string;
  readonly depth: number;
  /** Confirmations the victim payment had when its branch was cut. */
  readonly confirmationsBefore: number;
}

/**
 * The run's Litecoin regtest activity: pays checkouts from the funded wallet (one `sendtoaddress` or one
 * `sendmany` for a batch), mines blocks to a wallet nobody spends from, cuts branches up to 6 deep, and
 * double-spends a payment on the new branch. Every change goes through one queue and into the timeline.
 */
export class LitecoinChaos {
  readonly timeline: LitecoinTimeline;
  readonly #chain = new SerialQueue();
  readonly #pending: PendingPayment[] = [];
  /** txid → raw hex of every payment sent, to broadcast again if a reorg left it nowhere. */
  readonly #sent = new Map<string, string>();
  #flushTimer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly stats = { blocksMined: 0, sendtoaddress: 0, sendmany: 0, reorgs: [] as number[], rebroadcast: 0 };

  private constructor(
    readonly node: LitecoinRegtest,
    private readonly random: SeededRandom,
    tip: number,
  ) {
    this.timeline = new LitecoinTimeline(tip);
  }

  /**
   * Funds the payer (30 more coinbase coins), a separate double-spend wallet, and a sink wallet for every
   * later block reward. Then buries it all: every coin the payer will ever spend is mature by more than the
   * deepest reorg, so no reorg can make a payment spend an immature coinbase (the node would drop it from
   * the mempool), and no reorg reaches the double-spend wallet's funding.
   */
  static async prepare(node: LitecoinRegtest, random: SeededRandom): Promise<LitecoinChaos> {
    for (const wallet of ['doublespend', 'sink']) await node.rpc('createwallet', [wallet, false, false, '', false, false]);
    await node.mine(EXTRA_FUNDING_BLOCKS);
    const victimWallet = walletUrl(node, 'doublespend');
    const outputs: Record<string, string> = {};
    for (let i = 0; i < DOUBLE_SPEND_COINS; i++) outputs[await bitcoinRpc<string>(victimWallet, 'getnewaddress', ['', 'bech32'])] = '1.0';
    await node.walletRpc('sendmany', ['', outputs]);
    await node.mine(COINBASE_MATURITY + MAX_REORG_DEPTH + 1, await bitcoinRpc<string>(walletUrl(node, 'sink'), 'getnewaddress', ['', 'bech32']));
    const tip = await node.rpc<number>('getblockcount');
    const chaos = new LitecoinChaos(node, random, tip);
    chaos.#scheduleFlush();
    return chaos;
  }

  /** Pays `amountLtc` to `address` in the next batch; resolves with the txid. */
  pay(address: string, amountLtc: string): Promise<string> {
    return new Promise((resolve, reject) => this.#pending.push({ address, amountLtc, resolve, reject }));
  }

  mine(blocks: number): Promise<void> {
    return this.#chain.run(() => this.#mine(blocks));
  }

  /** Cuts the top `depth` blocks (invalidateblock) and mines a longer branch; the cut transactions return from the mempool. */
  reorg(depth: number): Promise<void> {
    if (!Number.isInteger(depth) || depth < 1 || depth > MAX_REORG_DEPTH) throw new RangeError(`reorg depth ${depth}`);
    return this.#chain.run(async () => {
      await this.#cut(depth);
      await this.#mine(depth + 1);
      await this.#rebroadcastLost();
    });
  }

  /**
   * Pays `address` from the double-spend wallet, confirms it below the store's 6 confirmations, then cuts
   * the branch holding it and mines, first, a transaction spending the same coins back to the wallet: the
   * payment can never confirm again.
   */
  async doubleSpend(address: string, amountLtc: string, settleMs: number): Promise<DoubleSpendOutcome> {
    const victimWallet = walletUrl(this.node, 'doublespend');
    const txid = await this.#chain.run(() => bitcoinRpc<string>(victimWallet, 'sendtoaddress', [address, amountLtc]));
    // Seen unconfirmed first (the checkout goes processing), then confirmed a little, then reorged out.
    await sleep(settleMs);
    return this.#chain.run(async () => {
      await this.#mine(this.random.int(1, 3));
      await sleep(settleMs);
      const tip = await this.node.rpc<number>('getblockcount');
      const tx = await this.node.rpc<{ blockhash?: string }>('getrawtransaction', [txid, true]);
      const height = tx.blockhash === undefined ? tip + 1 : (await this.node.rpc<{ height: number }>('getblockheader', [tx.blockhash])).height;
      const confirmationsBefore = tip - height + 1;
      if (confirmationsBefore >= DOUBLE_SPEND_REQUIRED_CONFIRMATIONS) throw new Error(`double spend ${txid}: already ${confirmationsBefore} confirmations`);
      const depth = this.random.int(Math.max(1, confirmationsBefore), MAX_REORG_DEPTH);
      await this.#cut(depth);
      const conflict = await this.#conflictingTransaction(victimWallet, txid);
      const startedAt = Date.now();
      const { hash } = await this.node.rpc<{ hash: string }>('generateblock', [await this.#sinkAddress(), [conflict.hex]]);
      await this.#recordBlock(hash, startedAt);
      await this.#mine(depth);
      await this.#rebroadcastLost();
      return { txid, conflictTxid: conflict.txid, depth, confirmationsBefore };
    });
  }

  /**
   * Broadcasts again every payment that is neither in the mempool nor on the active chain, as the payer's
   * wallet would: after a reorganisation litecoind does not always take every cut transaction back.
   */
  rebroadcastLost(): Promise<number> {
    return this.#chain.run(() => this.#rebroadcastLost());
  }

  async #rebroadcastLost(): Promise<number> {
    let sent = 0;
    for (const [txid, hex] of this.#sent) {
      const inMempool = await this.node.rpc('getmempoolentry', [txid]).then(() => true, () => false);
      if (inMempool) continue;
      const onChain = await this.node
        .rpc<{ confirmations?: number }>('getrawtransaction', [txid, true])
        .then((tx) => (tx.confirmations ?? 0) > 0, () => false);
      if (onChain) continue;
      await this.node.rpc('sendrawtransaction', [hex]).then(() => (sent += 1), () => undefined);
    }
    this.stats.rebroadcast += sent;
    return sent;
  }

  /** Stops batching; payments still queued are refused. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#flushTimer);
    for (const p of this.#pending.splice(0)) p.reject(new Error('litecoin chaos closed'));
  }

  /** Payments wait 0.3–3 s, so some leave alone and some together (sendmany). */
  #scheduleFlush(): void {
    if (this.#closed) return;
    this.#flushTimer = setTimeout(() => {
      void this.#flush().finally(() => this.#scheduleFlush());
    }, this.random.int(300, 3_000));
  }

  async #flush(): Promise<void> {
    const batch = this.#pending.splice(0, 20);
    if (batch.length === 0) return;
    await this.#chain.run(async () => {
      if (batch.length > 1 && this.random.chance(0.6)) {
        try {
          const outputs = Object.fromEntries(batch.map((p) => [p.address, p.amountLtc]));
          const txid = await this.node.walletRpc<string>('sendmany', ['', outputs]);
          this.stats.sendmany += 1;
          await this.#remember(txid);
          for (const p of batch) p.resolve(txid);
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
        return;
      }
      for (const p of batch) {
        try {
          const txid = await this.node.sendToAddress(p.address, p.amountLtc);
          this.stats.sendtoaddress += 1;
          await this.#remember(txid);
          p.resolve(txid);
        } catch (err) {
          p.reject(err);
        }
      }
    });
  }

  async #remember(txid: string): Promise<void> {
    this.#sent.set(txid, await this.node.rpc<string>('getrawtransaction', [txid, false]));
  }

  async #mine(blocks: number): Promise<void> {
    const startedAt = Date.now();
    const hashes = await this.node.mine(blocks, await this.#sinkAddress());
    for (const hash of hashes) await this.#recordBlock(hash, startedAt);
  }

  async #recordBlock(hash: string, startedAt: number): Promise<void> {
    const block = await this.node.rpc<{ hash: string; height: number; tx: string[] }>('getblock', [hash, 1]);
    const mined: MinedBlock = { hash: block.hash, height: block.height, txids: block.tx };
    this.timeline.connected(mined, startedAt);
    this.stats.blocksMined += 1;
  }

  async #cut(depth: number): Promise<void> {
    const tip = await this.node.rpc<number>('getblockcount');
    const fromHeight = tip - depth + 1;
    await this.node.invalidateBlock(await this.node.rpc<string>('getblockhash', [fromHeight]));
    this.timeline.disconnected(fromHeight, Date.now());
    this.stats.reorgs.push(depth);
  }

  /** A fresh address each time: a block mined to the same address in the same second as a cut one would be that block again. */
  #sinkAddress(): Promise<string> {
    return bitcoinRpc<string>(walletUrl(this.node, 'sink'), 'getnewaddress', ['', 'bech32']);
  }

  /** The victim's inputs, spent back to its own wallet (as the verifier's reorg tests build it). */
  async #conflictingTransaction(wallet: string, txid: string): Promise<{ txid: string; hex: string }> {
    const tx = await this.node.rpc<{ vin: { txid: string; vout: number }[] }>('getrawtransaction', [txid, true]);
    let inputLitoshi = 0n;
    // The coins are spent (by the victim, in the mempool): the wallet is told what it signs for.
    const prevtxs: { txid: string; vout: number; scriptPubKey: string; amount: number }[] = [];
    for (const vin of tx.vin) {
      const prev = await this.node.rpc<{ vout: { value: number; n: number; scriptPubKey: { hex: string } }[] }>('getrawtransaction', [vin.txid, true]);
      const output = prev.vout.find((o) => o.n === vin.vout);
      if (output === undefined) throw new Error(`double spend: input ${vin.txid}:${vin.vout} not found`);
      inputLitoshi += BigInt(Math.round(output.value * 1e8));
      prevtxs.push({ txid: vin.txid, vout: vin.vout, scriptPubKey: output.scriptPubKey.hex, amount: output.value });
    }
    const back = inputLitoshi - 100_000n;
    const raw = await this.node.rpc<string>('createrawtransaction', [
      tx.vin.map((v) => ({ txid: v.txid, vout: v.vout })),
      [{ [await bitcoinRpc<string>(wallet, 'getnewaddress', ['', 'bech32'])]: litecoins(back) }],
    ]);
    const signed = await bitcoinRpc<{ hex: string; complete: boolean; errors?: { error: string }[] }>(wallet, 'signrawtransactionwithwallet', [raw, prevtxs]);
    if (!signed.complete) throw new Error(`double spend: the conflicting transaction could not be signed (${signed.errors?.map((e) => e.error).join('; ') ?? 'no reason'})`);
    const decoded = await this.node.rpc<{ txid: string }>('decoderawtransaction', [signed.hex]);
    return { txid: decoded.txid, hex: signed.hex };
  }
}

function walletUrl(node: LitecoinRegtest, wallet: string): string {
  return `${node.rpcUrl}/wallet/${wallet}`;
}

function litecoins(litoshi: bigint): string {
  return `${litoshi / 100_000_000n}.${(litoshi % 100_000_000n).toString().padStart(8, '0')}`;
}
