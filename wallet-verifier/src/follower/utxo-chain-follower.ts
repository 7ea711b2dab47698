import type { Kysely } from 'kysely';
import type { CheckoutId, Clock, RandomSource } from '@coinstile/core';
import type { Database, Logger } from '@coinstile/platform';
import { bitcoinjs } from '../addresses/esm-libraries';
import { addressKey, scriptKey, type UtxoChainSpec } from '../chain/utxo-chain';
import { matchTransaction, matchTransactions, type OutputMatch } from '../chain/utxo-matcher';
import type { CheckoutEvaluator } from '../payments/checkout-evaluator';
import { PaymentStore, type OutputSighting } from '../payments/payment-store';
import { checkoutsLeftUnevaluated } from '../payments/unevaluated-checkouts';
import { asVerifierDb, type VerifierDB } from '../payments/verifier-schema';
import type { BitcoinRpcClient } from '../rpc/bitcoin-rpc-client';
import { RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_METHOD_NOT_FOUND, RpcMethodError } from '../rpc/rpc-errors';
import { AddressFeed, type WatchedAddress } from '../watch/address-feed';
import { WatchedSet } from '../watch/watched-set';
import type { FollowerMetrics } from './follower-metrics';

type Transaction = InstanceType<typeof bitcoinjs.Transaction>;

export interface UtxoFollowerOptions {
  /** Blocks below the tip a fresh follower (no cursor yet) starts from. Default 6. */
  readonly initialLookbackBlocks?: number;
  /** Deepest reorganisation handled; deeper ones stop the follower with `ReorgTooDeepError`. Default 100. */
  readonly maxReorgDepth?: number;
  /** Chunks of checkouts (one transaction each) evaluated at once after a round. Default 4. */
  readonly evaluationConcurrency?: number;
}

/** The node's chain forked below every block the follower remembers: it needs an operator. */
export class ReorgTooDeepError extends Error {
  override readonly name = 'ReorgTooDeepError';
  constructor(readonly chain: string, readonly depth: number) {
    super(`${chain}: reorganisation deeper than ${depth} blocks; the follower will not guess its fork point`);
  }
}

export interface ChainCursor {
  readonly height: number;
  readonly hash: string;
}

/** A mempool transaction as far as matching late addresses needs it. */
interface MempoolOutputs {
  readonly keys: readonly string[];
}

/** Recent blocks kept in `chain_recent_blocks`: the fork point of any reorg we handle is among them. */
const RECENT_BLOCKS_KEPT = 200;
/** Transactions fetched per `getrawtransaction` batch. */
const MEMPOOL_BATCH = 200;
/** Addresses created this long before the blocks processed are matched against those blocks again. */
const LATE_ADDRESS_MARGIN_MS = 5_000;
/** At start, addresses created within this window are re-matched against the blocks processed since. */
const STARTUP_RESCAN_WINDOW_MS = 10 * 60_000;
/** Expired destinations are dropped from the watched set at most this often (a full pass over the set). */
const PRUNE_INTERVAL_MS = 60_000;
/** Parsed blocks kept for re-matching late addresses without fetching and parsing them again. */
const PARSED_BLOCKS_KEPT = 3;

/**
 * Follows one Bitcoin Core family chain: blocks from the persisted cursor (reorgs detected by the parent
 * hash and unwound to the fork point), the mempool by diffing `getrawmempool`, outputs matched against the
 * watched set, payments recorded, and every touched checkout re-evaluated at the end of each round.
 * Not concurrent-safe by itself: one instance per chain runs it, under the follower lock.
 */
export class UtxoChainFollower {
  readonly watched = new WatchedSet();
  readonly #store: PaymentStore;
  readonly #feed: AddressFeed;
  readonly #mempool = new Map<string, MempoolOutputs>();
  #cursor: ChainCursor | undefined;
  #nodeTipHeight: number | null = null;
  #dirty = new Set<CheckoutId>();
  #lastPruneMs = 0;
  #nodeWaits = true;
  readonly #parsedBlocks = new Map<string, readonly Transaction[]>();

  constructor(
    private readonly spec: UtxoChainSpec,
    private readonly rpc: BitcoinRpcClient,
    private readonly db: Database,
    private readonly evaluator: CheckoutEvaluator,
    private readonly clock: Clock,
    random: RandomSource,
    private readonly logger: Logger,
    private readonly metrics: FollowerMetrics | undefined,
    private readonly options: UtxoFollowerOptions = {},
  ) {
    this.#store = new PaymentStore(spec.chain, random);
    this.#feed = new AddressFeed(db, [spec.asset]);
  }

  get cursor(): ChainCursor | undefined {
    return this.#cursor;
  }

  /** The node's best height at the last round that reached it; null before. */
  get nodeTipHeight(): number | null {
    return this.#nodeTipHeight;
  }

  get #kysely(): Kysely<VerifierDB> {
    return asVerifierDb(this.db.kysely);
  }

  /**
   * Loads the cursor (or starts a few blocks below the node's tip), the watched set, and re-evaluates the
   * checkouts a previous instance may have left between recording a payment and evaluating it.
   */
  async start(): Promise<void> {
    const now = this.clock.now();
    const row = await this.#kysely.selectFrom('chain_cursors').selectAll().where('chain', '=', this.spec.chain).executeTakeFirst();
    if (row !== undefined) {
      this.#cursor = { height: Number(row.height), hash: row.block_hash };
    } else {
      const tip = await this.rpc.call<number>('getblockcount');
      const height = Math.max(0, tip - (this.options.initialLookbackBlocks ?? 6));
      const hash = await this.rpc.call<string>('getblockhash', [height]);
      const header = await this.rpc.call<{ previousblockhash?: string }>('getblockheader', [hash]);
      await this.db.transaction(async (t) => {
        const trx = asVerifierDb(t);
        await this.#saveBlock(trx, height, hash, header.previousblockhash ?? '0'.repeat(64));
      });
      this.#cursor = { height, hash };
      this.logger.info({ chain: this.spec.chain, height, hash }, 'chain follower starts without a cursor');
    }
    this.metrics?.processedHeight.set({ chain: this.spec.chain }, this.#cursor.height);

    const addresses = await this.#feed.loadAll(now);
    this.#watch(addresses);
    const recent = addresses.filter((a) => a.createdAt.getTime() > now.getTime() - STARTUP_RESCAN_WINDOW_MS);
    await this.#rematchRecentBlocks(recent);
    for (const id of await checkoutsLeftUnevaluated(this.#kysely, this.spec.chain)) this.#dirty.add(id);
    await this.#evaluateDirty();
    this.logger.info(
      { chain: this.spec.chain, cursor: this.#cursor, watched: this.watched.size },
      'chain follower started',
    );
  }

  /**
   * One round: new addresses, blocks up to the node's tip, the mempool, payments that left the mempool
   * without entering a block, then the touched checkouts. Throws on node or database failure (the caller
   * retries); a failed round leaves only committed, consistent state behind.
   */
  async syncOnce(): Promise<void> {
    const now = this.clock.now();
    const timings: Record<string, number> = {};
    let mark = performance.now();
    const lap = (phase: string): void => {
      const t = performance.now();
      timings[phase] = Math.round(t - mark);
      mark = t;
    };
    const fresh = await this.#feed.poll(now);
    if (fresh.length > 0) {
      const added = this.#watch(fresh);
      await this.#rematchMempool(added);
      await this.#rematchRecentBlocks(fresh);
    }
    lap('addresses');
    const tip = await this.rpc.call<string>('getbestblockhash');
    if (tip !== this.#cursor?.hash) {
      await this.#syncBlocks(tip);
      lap('blocks');
      // Settle what the blocks decided before reading the mempool. Safe mid-round: a payment a reorg took
      // out of its block is `pending` (live, unconfirmed) until classified, which settles nothing.
      await this.#evaluateDirty();
      lap('evaluateBlocks');
    } else {
      this.#nodeTipHeight = this.#cursor.height;
      this.metrics?.nodeTipHeight.set({ chain: this.spec.chain }, this.#cursor.height);
      this.#reportHeights();
    }
    const mempool = await this.#syncMempool();
    lap('mempool');
    // A transaction that left the mempool may sit in a block not processed yet: classify only when the
    // tip is still the block processed last.
    if ((await this.rpc.call<string>('getbestblockhash')) === this.#cursor?.hash) await this.#classifyVanished(mempool);
    lap('vanished');
    if (now.getTime() - this.#lastPruneMs >= PRUNE_INTERVAL_MS) {
      this.#lastPruneMs = now.getTime();
      if (this.watched.pruneBefore(now) > 0) this.metrics?.watchedAddresses.set({ chain: this.spec.chain }, this.watched.size);
    }
    await this.#evaluateDirty();
    lap('evaluate');
    this.logger.debug({ chain: this.spec.chain, ms: timings, height: this.#cursor?.height }, 'round');
  }

  /**
   * `waitforblockheight <cursor + 1> <timeout>`: returns when the node has the next block, so a block is
   * processed at once instead of up to a poll interval later (the mempool is still read every round). A
   * node without the call (it is hidden in Bitcoin Core's help) is waited on by a plain sleep. A reorg to a
   * branch of the same height is seen at the next round, as with polling.
   */
  async waitForNextBlock(timeoutMs: number): Promise<void> {
    const wait = Math.max(1, Math.round(timeoutMs));
    if (this.#cursor === undefined || !this.#nodeWaits) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      return;
    }
    try {
      await this.rpc.call('waitforblockheight', [this.#cursor.height + 1, wait]);
    } catch (err) {
      if (!(err instanceof RpcMethodError && err.code === RPC_METHOD_NOT_FOUND)) throw err;
      this.#nodeWaits = false;
      this.logger.info({ chain: this.spec.chain }, 'node has no waitforblockheight: polling the tip instead');
    }
  }

  #watch(addresses: readonly WatchedAddress[]): Set<string> {
    const added = new Set<string>();
    for (const a of addresses) {
      let key: string;
      try {
        key = addressKey(this.spec, a.address);
      } catch (err) {
        this.logger.error({ err, checkoutId: a.checkoutId, chain: this.spec.chain }, 'checkout address is not valid on this chain; not watched');
        continue;
      }
      this.watched.add(key, a.checkoutId, a.asset, a.monitoringUntil);
      added.add(key);
    }
    this.metrics?.watchedAddresses.set({ chain: this.spec.chain }, this.watched.size);
    return added;
  }

  async #syncBlocks(tipHash: string): Promise<void> {
    const header = await this.rpc.call<{ height: number }>('getblockheader', [tipHash]);
    const tipHeight = header.height;
    this.#nodeTipHeight = tipHeight;
    this.metrics?.nodeTipHeight.set({ chain: this.spec.chain }, tipHeight);
    for (;;) {
      const cursor = this.#cursor!;
      if (cursor.hash === tipHash) break;
      if (cursor.height >= tipHeight) {
        if (!(await this.#cursorLeftBestChain(cursor))) {
          // The node is behind us (restarted from an older state, a lagging replica): wait for it.
          this.logger.warn({ chain: this.spec.chain, cursor, nodeTipHeight: tipHeight }, 'node is behind the processed height; waiting');
          return;
        }
        await this.#unwind();
        continue;
      }
      const height = cursor.height + 1;
      const hash = await this.rpc.call<string>('getblockhash', [height]);
      const block = bitcoinjs.Block.fromHex(await this.rpc.call<string>('getblock', [hash, 0]));
      const parent = Buffer.from(block.prevHash!).reverse().toString('hex');
      if (parent !== cursor.hash) {
        await this.#unwind();
        continue;
      }
      await this.#connect(height, hash, parent, block.transactions ?? []);
      if (hash === tipHash) break;
    }
    // Confirmations count only blocks whose parent links were checked, up to the cursor: never more.
    const processed = this.#cursor!.height;
    const touched = await this.db.transaction((t) => this.#store.refreshConfirmations(asVerifierDb(t), processed, this.clock.now()));
    for (const id of touched) this.#dirty.add(id);
    this.#reportHeights();
  }

  /**
   * True when the node knows the cursor's block and says it is off its best chain (a reorg, or
   * `invalidateblock`); false when the node has never seen it, i.e. the node is behind, not forked.
   */
  async #cursorLeftBestChain(cursor: ChainCursor): Promise<boolean> {
    try {
      const header = await this.rpc.call<{ confirmations: number }>('getblockheader', [cursor.hash]);
      return header.confirmations < 0;
    } catch (err) {
      if (err instanceof RpcMethodError && err.code === RPC_INVALID_ADDRESS_OR_KEY) return false;
      throw err;
    }
  }

  async #connect(height: number, hash: string, parent: string, txs: readonly Transaction[]): Promise<void> {
    const matches = matchTransactions(txs, this.watched);
    const now = this.clock.now();
    await this.db.transaction(async (t) => {
      const trx = asVerifierDb(t);
      if (matches.length > 0) {
        const touched = await this.#store.record(trx, matches.map((m) => sighting(m, { hash, height }, height)), now);
        await this.#store.recordInputs(trx, inputsByTx(matches));
        for (const id of touched) this.#dirty.add(id);
      }
      await this.#saveBlock(trx, height, hash, parent);
    });
    for (const m of matches) this.#mempool.delete(m.txid);
    this.#parsedBlocks.set(hash, txs);
    for (const kept of this.#parsedBlocks.keys()) {
      if (this.#parsedBlocks.size <= PARSED_BLOCKS_KEPT) break;
      this.#parsedBlocks.delete(kept);
    }
    this.#cursor = { height, hash };
    if (matches.length > 0) this.metrics?.paymentsMatched.inc({ chain: this.spec.chain, source: 'block' }, matches.length);
    this.metrics?.processedHeight.set({ chain: this.spec.chain }, height);
  }

  async #saveBlock(trx: Kysely<VerifierDB>, height: number, hash: string, parent: string): Promise<void> {
    const now = this.clock.now();
    await trx
      .insertInto('chain_recent_blocks')
      .values({ chain: this.spec.chain, height: String(height), hash, parent_hash: parent, processed_at: now })
      .onConflict((oc) => oc.columns(['chain', 'height']).doUpdateSet({ hash, parent_hash: parent, processed_at: now }))
      .execute();
    await trx
      .deleteFrom('chain_recent_blocks')
      .where('chain', '=', this.spec.chain)
      .where((eb) => eb.or([eb('height', '<=', String(height - RECENT_BLOCKS_KEPT)), eb('height', '>', String(height))]))
      .execute();
    await trx
      .insertInto('chain_cursors')
      .values({ chain: this.spec.chain, height: String(height), block_hash: hash, updated_at: now })
      .onConflict((oc) => oc.column('chain').doUpdateSet({ height: String(height), block_hash: hash, updated_at: now }))
      .execute();
  }

  /**
   * The cursor's block left the best chain: walk back the remembered blocks to the highest one the node
   * still has at its height (the fork point), take the payments of every block above it out of their
   * blocks, and move the cursor there. The new branch is then connected block by block.
   */
  async #unwind(): Promise<void> {
    const cursor = this.#cursor!;
    const maxDepth = this.options.maxReorgDepth ?? 100;
    const remembered = await this.#kysely
      .selectFrom('chain_recent_blocks')
      .select(['height', 'hash'])
      .where('chain', '=', this.spec.chain)
      .where('height', '<=', String(cursor.height))
      .where('height', '>=', String(Math.max(0, cursor.height - maxDepth)))
      .orderBy('height', 'desc')
      .execute();
    let fork: ChainCursor | undefined;
    for (const block of remembered) {
      const height = Number(block.height);
      let nodeHash: string | undefined;
      try {
        nodeHash = await this.rpc.call<string>('getblockhash', [height]);
      } catch (err) {
        // The node's chain may now be shorter than this height (-8 "Block height out of range").
        if (!(err instanceof RpcMethodError && err.code === RPC_INVALID_PARAMETER)) throw err;
      }
      if (nodeHash === block.hash) {
        fork = { height, hash: block.hash };
        break;
      }
    }
    if (fork === undefined) throw new ReorgTooDeepError(this.spec.chain, Math.min(maxDepth, remembered.length));
    const depth = cursor.height - fork.height;
    const now = this.clock.now();
    await this.db.transaction(async (t) => {
      const trx = asVerifierDb(t);
      const touched = await this.#store.disconnectAbove(trx, fork.height, now);
      for (const id of touched) this.#dirty.add(id);
      await this.#saveBlock(trx, fork.height, fork.hash, await this.#parentOf(trx, fork));
    });
    this.#cursor = fork;
    this.metrics?.reorgs.inc({ chain: this.spec.chain });
    this.metrics?.reorgDepth.set({ chain: this.spec.chain }, depth);
    this.logger.warn({ chain: this.spec.chain, from: cursor, fork, depth }, 'chain reorganisation: blocks above the fork point disconnected');
  }

  async #parentOf(trx: Kysely<VerifierDB>, block: ChainCursor): Promise<string> {
    const row = await trx
      .selectFrom('chain_recent_blocks')
      .select('parent_hash')
      .where('chain', '=', this.spec.chain)
      .where('height', '=', String(block.height))
      .executeTakeFirst();
    return row?.parent_hash ?? '0'.repeat(64);
  }

  /** Diffs the node's mempool against the last one, matching new transactions. Returns the txids in it. */
  async #syncMempool(): Promise<ReadonlySet<string>> {
    const txids = await this.rpc.call<string[]>('getrawmempool', [false]);
    const current = new Set(txids);
    for (const txid of this.#mempool.keys()) if (!current.has(txid)) this.#mempool.delete(txid);
    const fresh = txids.filter((txid) => !this.#mempool.has(txid));
    const matches: OutputMatch[] = [];
    for (let i = 0; i < fresh.length; i += MEMPOOL_BATCH) {
      const batch = fresh.slice(i, i + MEMPOOL_BATCH);
      const outcomes = await this.rpc.batch<string>(batch.map((txid) => ({ method: 'getrawtransaction', params: [txid, false] })));
      outcomes.forEach((outcome, j) => {
        // Gone since getrawmempool (mined or replaced): the next round sees where it went.
        if (!outcome.ok) return;
        const tx = bitcoinjs.Transaction.fromHex(outcome.result);
        this.#mempool.set(batch[j]!, { keys: tx.outs.map((o) => scriptKey(o.script)) });
        for (const m of matchTransaction(tx, this.watched)) matches.push(m);
      });
    }
    await this.#recordMempoolMatches(matches);
    return current;
  }

  async #recordMempoolMatches(matches: readonly OutputMatch[]): Promise<void> {
    if (matches.length === 0) return;
    const now = this.clock.now();
    await this.db.transaction(async (t) => {
      const trx = asVerifierDb(t);
      const touched = await this.#store.record(trx, matches.map((m) => sighting(m, null, 0)), now);
      await this.#store.recordInputs(trx, inputsByTx(matches));
      for (const id of touched) this.#dirty.add(id);
    });
    this.metrics?.paymentsMatched.inc({ chain: this.spec.chain, source: 'mempool' }, matches.length);
  }

  /**
   * Payments the store has as waiting in the mempool that are in neither the mempool nor a processed
   * block: `replaced` when another transaction spent one of their inputs (RBF, double spend), else
   * `orphaned` (evicted, or dropped by a reorg). Either comes back to `pending` if it reappears.
   */
  async #classifyVanished(mempool: ReadonlySet<string>): Promise<void> {
    const unmined = await this.#store.unmined(this.#kysely);
    const gone = [...new Set(unmined.map((p) => p.txid))].filter((txid) => !mempool.has(txid));
    for (const txid of gone) {
      const outpoints = (await this.#store.inputsOf(this.#kysely, txid)) ?? [];
      const outcomes = await this.rpc.batch<unknown>(
        outpoints.map((o) => {
          const [prev, vout] = o.split(':');
          return { method: 'gettxout', params: [prev, Number(vout), true] };
        }),
      );
      for (const o of outcomes) if (!o.ok && o.error.code !== RPC_INVALID_ADDRESS_OR_KEY) throw o.error;
      const spentElsewhere = outcomes.some((o) => !o.ok || o.result === null);
      const state = spentElsewhere ? 'replaced' : 'orphaned';
      const touched = await this.db.transaction((t) => this.#store.markGone(asVerifierDb(t), txid, state, this.clock.now()));
      for (const id of touched) this.#dirty.add(id);
      this.logger.warn({ chain: this.spec.chain, txid, state }, 'payment transaction left the mempool without being mined');
    }
  }

  /** Matches addresses that reached the watched set late against the mempool seen so far. */
  async #rematchMempool(keys: ReadonlySet<string>): Promise<void> {
    const hits: string[] = [];
    for (const [txid, outputs] of this.#mempool) if (outputs.keys.some((k) => keys.has(k))) hits.push(txid);
    if (hits.length === 0) return;
    const matches: OutputMatch[] = [];
    const outcomes = await this.rpc.batch<string>(hits.map((txid) => ({ method: 'getrawtransaction', params: [txid, false] })));
    for (const outcome of outcomes) {
      if (outcome.ok) for (const m of matchTransaction(bitcoinjs.Transaction.fromHex(outcome.result), this.watched, keys)) matches.push(m);
    }
    await this.#recordMempoolMatches(matches);
  }

  /**
   * Matches addresses against the blocks processed since (shortly before) their checkouts were created:
   * a block processed between a checkout's creation and its address reaching the watched set would
   * otherwise never be looked at for it.
   */
  async #rematchRecentBlocks(addresses: readonly WatchedAddress[]): Promise<void> {
    if (addresses.length === 0) return;
    const since = new Date(Math.min(...addresses.map((a) => a.createdAt.getTime())) - LATE_ADDRESS_MARGIN_MS);
    const blocks = await this.#kysely
      .selectFrom('chain_recent_blocks')
      .select(['height', 'hash'])
      .where('chain', '=', this.spec.chain)
      .where('processed_at', '>=', since)
      .orderBy('height')
      .execute();
    if (blocks.length === 0) return;
    const keys = new Set<string>();
    for (const a of addresses) {
      try {
        keys.add(addressKey(this.spec, a.address));
      } catch {
        // Logged when it was refused from the watched set.
      }
    }
    const tip = this.#cursor!.height;
    for (const b of blocks) {
      const height = Number(b.height);
      const txs = this.#parsedBlocks.get(b.hash) ?? bitcoinjs.Block.fromHex(await this.rpc.call<string>('getblock', [b.hash, 0])).transactions ?? [];
      const matches = matchTransactions(txs, this.watched, keys);
      if (matches.length === 0) continue;
      await this.db.transaction(async (t) => {
        const trx = asVerifierDb(t);
        const touched = await this.#store.record(trx, matches.map((m) => sighting(m, { hash: b.hash, height }, tip)), this.clock.now());
        await this.#store.recordInputs(trx, inputsByTx(matches));
        for (const id of touched) this.#dirty.add(id);
      });
      this.metrics?.paymentsMatched.inc({ chain: this.spec.chain, source: 'late_address' }, matches.length);
    }
  }

  async #evaluateDirty(): Promise<void> {
    if (this.#dirty.size === 0) return;
    const ids = [...this.#dirty];
    await this.evaluator.evaluateAll(ids, this.options.evaluationConcurrency ?? 4);
    for (const id of ids) this.#dirty.delete(id);
  }

  #reportHeights(): void {
    const processed = this.#cursor?.height ?? 0;
    this.metrics?.processedHeight.set({ chain: this.spec.chain }, processed);
    if (this.#nodeTipHeight !== null) this.metrics?.lagBlocks.set({ chain: this.spec.chain }, Math.max(0, this.#nodeTipHeight - processed));
  }
}

function sighting(m: OutputMatch, block: { hash: string; height: number } | null, tipHeight: number): OutputSighting {
  return {
    checkoutId: m.checkoutId,
    asset: m.asset,
    txid: m.txid,
    outputIndex: m.outputIndex,
    amountBase: m.amountBase,
    rbfSignalled: m.rbfSignalled,
    block,
    tipHeight,
  };
}

function inputsByTx(matches: readonly OutputMatch[]): Map<string, readonly string[]> {
  return new Map(matches.map((m) => [m.txid, m.outpoints]));
}
