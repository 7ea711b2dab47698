import { sql, type Kysely } from 'kysely';
import type { Block, JsonRpcProvider, Log, TransactionResponse } from 'ethers';
import type { CheckoutId, Clock, RandomSource } from '@coinstile/core';
import type { Database, Logger } from '@coinstile/platform';
import type { ChainFollower } from '../follower/chain-follower-service';
import type { FollowerMetrics } from '../follower/follower-metrics';
import { ReorgTooDeepError, type ChainCursor } from '../follower/utxo-chain-follower';
import type { CheckoutEvaluator } from '../payments/checkout-evaluator';
import { PaymentStore, type OutputSighting } from '../payments/payment-store';
import { checkoutsLeftUnevaluated } from '../payments/unevaluated-checkouts';
import { asVerifierDb, type VerifierDB } from '../payments/verifier-schema';
import { AddressFeed, type WatchedAddress } from '../watch/address-feed';
import { WatchedSet } from '../watch/watched-set';
import { addressTopic, ERC20_TRANSFER_TOPIC, evmAddressKey, type EvmChainSpec } from './evm-chain';
import { EvmChainIdMismatchError } from './evm-errors';
import { matchNativeTransfers, matchTokenTransfers, type EvmForeignTransfer, type EvmMatchResult, type EvmTransactionLike, type EvmTransferMatch } from './evm-matcher';

export interface EvmFollowerOptions {
  /** Blocks below the tip a fresh follower (no cursor yet) starts from. Default 6. */
  readonly initialLookbackBlocks?: number;
  /** Deepest reorganisation handled; deeper ones stop the follower with `ReorgTooDeepError`. Default 100. */
  readonly maxReorgDepth?: number;
  /** Blocks fetched at once (one JSON-RPC batch) and covered by one `eth_getLogs` range. Default 20. */
  readonly blocksPerBatch?: number;
  /**
   * Blocks connected per round at most. A long catch-up then goes on over several rounds, with new
   * addresses picked up, touched checkouts evaluated and progress reported in between. Default 500.
   */
  readonly maxBlocksPerRound?: number;
  /** Checkouts evaluated at once after a round. Default 4. */
  readonly evaluationConcurrency?: number;
  /**
   * Read the node's pending block (`eth_getBlockByNumber("pending", true)`) every round and record
   * unconfirmed ETH payments, so their checkouts turn `processing` before the first block. Default true.
   */
  readonly watchPending?: boolean;
}

/** A contiguous run of blocks of one branch and the token `Transfer` logs in them. */
interface FetchedRange {
  readonly blocks: readonly Block[];
  /** Logs by block hash. */
  readonly logs: ReadonlyMap<string, Log[]>;
}

/** Recent blocks kept in `chain_recent_blocks`: the fork point of any reorg we handle is among them. */
const RECENT_BLOCKS_KEPT = 200;
/** Addresses created this long before the blocks processed are matched against those blocks again. */
const LATE_ADDRESS_MARGIN_MS = 5_000;
/** At start, addresses created within this window are re-matched against the blocks processed since. */
const STARTUP_RESCAN_WINDOW_MS = 10 * 60_000;
/** Up to this many late addresses go into the `eth_getLogs` topic filter; more are matched locally. */
const MAX_TOPIC_FILTER_ADDRESSES = 100;
/** A range whose blocks and logs disagree (the node reorganised meanwhile) is fetched again this often. */
const MAX_RANGE_ATTEMPTS = 3;

/** The node's chain kept moving while a range of blocks and its logs were fetched. */
export class EvmChainMovedError extends Error {
  override readonly name = 'EvmChainMovedError';
  constructor(readonly from: number, readonly to: number) {
    super(`ethereum: blocks ${from}..${to} changed ${MAX_RANGE_ATTEMPTS} times while being fetched`);
  }
}

/**
 * Follows one EVM chain through JSON-RPC: blocks from the persisted cursor (each block's parent hash
 * checked; a reorg is unwound to the fork point through the remembered recent blocks), native ETH by the
 * `to`/`value` of each block's transactions, tokens by `Transfer` logs of the configured contracts
 * (`eth_getLogs` per range of blocks, topic-filtered), payments recorded through the shared
 * `PaymentStore`, touched checkouts re-evaluated at the end of each round. Native ETH paid by a pending
 * transaction is recorded unconfirmed (`processing`, as for a mempool payment on the UTXO chains); as any
 * pending EVM transaction can be replaced by another with its nonce, it counts as RBF-signalled, so even
 * `high_speed` waits for its block. Pending token transfers are not seen (their logs exist once mined).
 * Not concurrent-safe by itself: one instance per chain runs it, under the follower lock.
 */
export class EvmChainFollower implements ChainFollower {
  readonly watched = new WatchedSet();
  readonly #store: PaymentStore;
  readonly #feed: AddressFeed;
  #cursor: ChainCursor | undefined;
  #nodeTipHeight = 0;
  readonly #dirty = new Set<CheckoutId>();
  /** Matching pending transactions already recorded, so a waiting one is not written every round. */
  readonly #pendingRecorded = new Set<string>();

  constructor(
    private readonly spec: EvmChainSpec,
    private readonly provider: JsonRpcProvider,
    private readonly db: Database,
    private readonly evaluator: CheckoutEvaluator,
    private readonly clock: Clock,
    random: RandomSource,
    private readonly logger: Logger,
    private readonly metrics: FollowerMetrics | undefined,
    private readonly options: EvmFollowerOptions = {},
  ) {
    this.#store = new PaymentStore(spec.chain, random);
    this.#feed = new AddressFeed(db, [spec.nativeAsset, ...spec.tokens.map((t) => t.asset)]);
  }

  get cursor(): ChainCursor | undefined {
    return this.#cursor;
  }

  get nodeTipHeight(): number {
    return this.#nodeTipHeight;
  }

  get #kysely(): Kysely<VerifierDB> {
    return asVerifierDb(this.db.kysely);
  }

  get #batch(): number {
    return Math.max(1, this.options.blocksPerBatch ?? 20);
  }

  /**
   * Checks the node's chain id, loads the cursor (or starts a few blocks below the node's tip), the
   * watched set, and re-evaluates the checkouts a previous instance may have left between recording a
   * payment and evaluating it.
   */
  async start(): Promise<void> {
    const nodeChainId = Number(await this.provider.send('eth_chainId', []));
    if (nodeChainId !== this.spec.chainId) throw new EvmChainIdMismatchError(this.spec.chainId, nodeChainId);
    const now = this.clock.now();
    const row = await this.#kysely.selectFrom('chain_cursors').selectAll().where('chain', '=', this.spec.chain).executeTakeFirst();
    if (row !== undefined) {
      this.#cursor = { height: Number(row.height), hash: row.block_hash };
    } else {
      const tip = await this.provider.getBlockNumber();
      const height = Math.max(0, tip - (this.options.initialLookbackBlocks ?? 6));
      const block = await this.#blockAt(height);
      await this.db.transaction((t) => this.#saveBlocks(asVerifierDb(t), [block]));
      this.#cursor = { height, hash: block.hash! };
      this.logger.info({ chain: this.spec.chain, height, hash: block.hash }, 'chain follower starts without a cursor');
    }
    this.metrics?.processedHeight.set({ chain: this.spec.chain }, this.#cursor.height);

    const addresses = await this.#feed.loadAll(now);
    this.#watch(addresses);
    const recent = addresses.filter((a) => a.createdAt.getTime() > now.getTime() - STARTUP_RESCAN_WINDOW_MS);
    await this.#rematchRecentBlocks(recent);
    for (const id of await checkoutsLeftUnevaluated(this.#kysely, this.spec.chain)) this.#dirty.add(id);
    await this.#evaluateDirty();
    this.logger.info({ chain: this.spec.chain, cursor: this.#cursor, watched: this.watched.size, tokens: this.spec.tokens }, 'chain follower started');
  }

  /**
   * One round: new addresses, blocks up to the node's head, payments that left the chain, pending
   * transactions, then the touched checkouts. Throws on node or database failure (the caller retries with backoff); a failed
   * round leaves only committed, consistent state behind.
   */
  async syncOnce(): Promise<void> {
    const now = this.clock.now();
    const fresh = await this.#feed.poll(now);
    if (fresh.length > 0) {
      this.#watch(fresh);
      await this.#rematchRecentBlocks(fresh);
    }
    const head = await this.provider.getBlock('latest');
    if (head === null || head.hash === null) throw new Error(`${this.spec.chain}: the node has no latest block`);
    this.#nodeTipHeight = head.number;
    this.metrics?.nodeTipHeight.set({ chain: this.spec.chain }, head.number);
    if (head.hash !== this.#cursor?.hash) await this.#syncBlocks(head.number, head.hash);
    if (this.#cursor?.hash === head.hash) await this.#classifyVanished();
    if (this.options.watchPending ?? true) await this.#syncPending();
    if (this.watched.pruneBefore(now) > 0) this.metrics?.watchedAddresses.set({ chain: this.spec.chain }, this.watched.size);
    await this.#evaluateDirty();
  }

  #watch(addresses: readonly WatchedAddress[]): void {
    for (const a of addresses) {
      let key: string;
      try {
        key = evmAddressKey(a.address);
      } catch (err) {
        this.logger.error({ err, checkoutId: a.checkoutId, chain: this.spec.chain }, 'checkout address is not an EVM address; not watched');
        continue;
      }
      this.watched.add(key, a.checkoutId, a.asset, a.monitoringUntil);
    }
    this.metrics?.watchedAddresses.set({ chain: this.spec.chain }, this.watched.size);
  }

  async #blockAt(height: number): Promise<Block> {
    const block = await this.provider.getBlock(height);
    if (block === null || block.hash === null) throw new Error(`${this.spec.chain}: the node has no block ${height}`);
    return block;
  }

  async #syncBlocks(headHeight: number, headHash: string): Promise<void> {
    const maxBlocks = Math.max(1, this.options.maxBlocksPerRound ?? 500);
    for (let connected = 0; connected < maxBlocks; ) {
      const cursor = this.#cursor!;
      if (cursor.hash === headHash) break;
      if (cursor.height > headHeight && (await this.#rememberedHash(headHeight)) === headHash) {
        // The node is behind us on our own chain (a lagging replica behind a load balancer, a node
        // restarted from older state): wait for it. A branch replacing our blocks shows once it is as long.
        this.logger.debug({ chain: this.spec.chain, cursor, headHeight }, 'node behind the processed height');
        break;
      }
      if (cursor.height >= headHeight) {
        // Same height, other hash: our block left the best chain (or the head read is already stale).
        if ((await this.#unwind()) === 0) break;
        continue;
      }
      const range = await this.#fetchRange(cursor.height + 1, Math.min(headHeight, cursor.height + Math.min(this.#batch, maxBlocks - connected)));
      const linked: Block[] = [];
      let parent = cursor.hash;
      for (const block of range.blocks) {
        if (block.parentHash !== parent) break;
        linked.push(block);
        parent = block.hash!;
      }
      if (range.blocks.length === 0) break; // the node's chain got shorter than its head said: next round
      if (linked.length === 0) {
        if ((await this.#unwind()) === 0) break;
        continue;
      }
      await this.#connect(linked, range.logs);
      connected += linked.length;
    }
    // Confirmations count only blocks whose parent links were checked, up to the cursor: never more.
    const processed = this.#cursor!.height;
    const touched = await this.db.transaction((t) => this.#store.refreshConfirmations(asVerifierDb(t), processed, this.clock.now()));
    for (const id of touched) this.#dirty.add(id);
    this.#reportHeights();
  }

  /**
   * Blocks `from..to` with their transactions (one JSON-RPC batch) and the token `Transfer` logs of that
   * range (one `eth_getLogs`), checked to be of one branch: every log's block hash is the fetched block's
   * at its height, and the last block is still the node's after the logs were read (a block pins its
   * ancestors). Stops at the first height the node does not have.
   */
  async #fetchRange(from: number, to: number): Promise<FetchedRange> {
    for (let attempt = 1; attempt <= MAX_RANGE_ATTEMPTS; attempt++) {
      const heights = Array.from({ length: to - from + 1 }, (_, i) => from + i);
      const fetched = await Promise.all(heights.map((h) => this.provider.getBlock(h, true)));
      const blocks: Block[] = [];
      for (const b of fetched) {
        if (b === null || b.hash === null) break;
        blocks.push(b);
      }
      const last = blocks.at(-1);
      if (last === undefined || this.spec.tokens.length === 0) return { blocks, logs: new Map() };
      const logs = await this.#transferLogs(from, last.number);
      const byHash = new Map(blocks.map((b) => [b.hash!, [] as Log[]]));
      let consistent = true;
      for (const log of logs) {
        const list = byHash.get(log.blockHash);
        if (list === undefined || blocks[log.blockNumber - from]?.hash !== log.blockHash) {
          consistent = false;
          break;
        }
        list.push(log);
      }
      if (consistent && (await this.provider.getBlock(last.number))?.hash === last.hash) return { blocks, logs: byHash };
      this.logger.info({ chain: this.spec.chain, from, to, attempt }, 'chain moved while a block range was read; reading it again');
    }
    throw new EvmChainMovedError(from, to);
  }

  /** `Transfer` logs of the configured tokens in `from..to`, optionally only those paying `toTopics`. */
  #transferLogs(from: number, to: number, toTopics?: readonly string[]): Promise<Log[]> {
    return this.provider.getLogs({
      address: this.spec.tokens.map((t) => t.contract),
      topics: [ERC20_TRANSFER_TOPIC, null, toTopics === undefined ? null : [...toTopics]],
      fromBlock: from,
      toBlock: to,
    });
  }

  /** Matches `blocks`' transfers; drops native transfers whose transaction failed (and returns their txids). */
  async #match(
    blocks: readonly Block[],
    logs: ReadonlyMap<string, Log[]>,
    only?: ReadonlySet<string>,
  ): Promise<{ byBlock: Map<Block, EvmTransferMatch[]>; failed: ReadonlySet<string> }> {
    const byBlock = new Map<Block, EvmTransferMatch[]>();
    const foreign: EvmForeignTransfer[] = [];
    const nativeTxids: string[] = [];
    for (const block of blocks) {
      const native = matchNativeTransfers(block.prefetchedTransactions, this.spec.nativeAsset, this.watched, only);
      const tokens: EvmMatchResult = matchTokenTransfers(logs.get(block.hash!) ?? [], this.spec.tokens, this.watched, only);
      const matches = [...native.matches, ...tokens.matches];
      foreign.push(...native.foreign, ...tokens.foreign);
      for (const m of native.matches) nativeTxids.push(m.txid);
      if (matches.length > 0) byBlock.set(block, matches);
    }
    for (const f of foreign) {
      this.logger.warn({ chain: this.spec.chain, ...f, amountBase: f.amountBase.toString() }, 'transfer in another asset than the checkout expects: not counted');
    }
    if (nativeTxids.length > 0) {
      // A plain transfer to an account cannot fail, but an address with code (EIP-7702) can revert it.
      const receipts = await Promise.all(nativeTxids.map((txid) => this.provider.getTransactionReceipt(txid)));
      const failed = new Set(receipts.filter((r) => r !== null && r.status !== 1).map((r) => r!.hash));
      if (failed.size > 0) {
        for (const [block, matches] of byBlock) byBlock.set(block, matches.filter((m) => !(m.asset === this.spec.nativeAsset && failed.has(m.txid))));
      }
      return { byBlock, failed };
    }
    return { byBlock, failed: new Set() };
  }

  async #connect(blocks: readonly Block[], logs: ReadonlyMap<string, Log[]>): Promise<void> {
    const { byBlock, failed } = await this.#match(blocks, logs);
    const last = blocks.at(-1)!;
    const sightings: OutputSighting[] = [];
    const senders = new Map<string, readonly string[]>();
    for (const [block, matches] of byBlock) {
      for (const m of matches) {
        sightings.push(sighting(m, block, last.number));
        const tx = findTransaction(block, m.txid);
        if (tx !== undefined) senders.set(m.txid, [senderNonce(tx)]);
      }
    }
    const now = this.clock.now();
    await this.db.transaction(async (t) => {
      const trx = asVerifierDb(t);
      if (sightings.length > 0) {
        const touched = await this.#store.record(trx, sightings, now);
        await this.#store.recordInputs(trx, senders);
        for (const id of touched) this.#dirty.add(id);
      }
      // Seen pending, then mined but reverted: it paid nothing.
      for (const txid of failed) for (const id of await this.#store.markGone(trx, txid, 'orphaned', now)) this.#dirty.add(id);
      await this.#saveBlocks(trx, blocks);
    });
    this.#cursor = { height: last.number, hash: last.hash! };
    if (sightings.length > 0) this.metrics?.paymentsMatched.inc({ chain: this.spec.chain, source: 'block' }, sightings.length);
    this.metrics?.processedHeight.set({ chain: this.spec.chain }, last.number);
  }

  /** Remembers `blocks` (contiguous, ascending) as the recent blocks up to the last one, which becomes the cursor. */
  async #saveBlocks(trx: Kysely<VerifierDB>, blocks: readonly Pick<Block, 'number' | 'hash' | 'parentHash'>[]): Promise<void> {
    const now = this.clock.now();
    const last = blocks.at(-1)!;
    await trx
      .insertInto('chain_recent_blocks')
      .values(blocks.map((b) => ({ chain: this.spec.chain, height: String(b.number), hash: b.hash!, parent_hash: b.parentHash, processed_at: now })))
      .onConflict((oc) =>
        oc.columns(['chain', 'height']).doUpdateSet({ hash: sql`excluded.hash`, parent_hash: sql`excluded.parent_hash`, processed_at: sql`excluded.processed_at` }),
      )
      .execute();
    await trx
      .deleteFrom('chain_recent_blocks')
      .where('chain', '=', this.spec.chain)
      .where((eb) => eb.or([eb('height', '<=', String(last.number - RECENT_BLOCKS_KEPT)), eb('height', '>', String(last.number))]))
      .execute();
    await trx
      .insertInto('chain_cursors')
      .values({ chain: this.spec.chain, height: String(last.number), block_hash: last.hash!, updated_at: now })
      .onConflict((oc) => oc.column('chain').doUpdateSet({ height: String(last.number), block_hash: last.hash!, updated_at: now }))
      .execute();
  }

  async #rememberedHash(height: number): Promise<string | undefined> {
    const row = await this.#kysely
      .selectFrom('chain_recent_blocks')
      .select('hash')
      .where('chain', '=', this.spec.chain)
      .where('height', '=', String(height))
      .executeTakeFirst();
    return row?.hash;
  }

  /**
   * The cursor's block left the best chain: walk back the remembered blocks to the highest one the node
   * still has at its height (the fork point), take the payments of every block above it out of their
   * blocks, and move the cursor there. Returns the depth (0: the cursor is still on the node's chain).
   */
  async #unwind(): Promise<number> {
    const cursor = this.#cursor!;
    const maxDepth = this.options.maxReorgDepth ?? 100;
    const remembered = await this.#kysely
      .selectFrom('chain_recent_blocks')
      .select(['height', 'hash', 'parent_hash'])
      .where('chain', '=', this.spec.chain)
      .where('height', '<=', String(cursor.height))
      .where('height', '>=', String(Math.max(0, cursor.height - maxDepth)))
      .orderBy('height', 'desc')
      .execute();
    let fork: { number: number; hash: string; parentHash: string } | undefined;
    for (const block of remembered) {
      const height = Number(block.height);
      const nodeBlock = await this.provider.getBlock(height);
      if (nodeBlock?.hash === block.hash) {
        fork = { number: height, hash: block.hash, parentHash: block.parent_hash };
        break;
      }
    }
    if (fork === undefined) throw new ReorgTooDeepError(this.spec.chain, Math.min(maxDepth, remembered.length));
    const depth = cursor.height - fork.number;
    if (depth === 0) return 0;
    const now = this.clock.now();
    await this.db.transaction(async (t) => {
      const trx = asVerifierDb(t);
      const touched = await this.#store.disconnectAbove(trx, fork.number, now);
      for (const id of touched) this.#dirty.add(id);
      await this.#saveBlocks(trx, [fork]);
    });
    this.#cursor = { height: fork.number, hash: fork.hash };
    this.metrics?.reorgs.inc({ chain: this.spec.chain });
    this.metrics?.reorgDepth.set({ chain: this.spec.chain }, depth);
    this.logger.warn({ chain: this.spec.chain, from: cursor, fork: this.#cursor, depth }, 'chain reorganisation: blocks above the fork point disconnected');
    return depth;
  }

  /**
   * Payments that left their block in a reorg and are in no processed block since. Still known to the
   * node (back in its pool, or mined in a block not processed yet): left as they are. Unknown: `replaced`
   * when the sender's nonce was used by another transaction (a conflicting spend), else `orphaned`.
   * Either comes back to `confirmed` if the transaction is mined again.
   */
  async #classifyVanished(): Promise<void> {
    const unmined = await this.#store.unmined(this.#kysely);
    if (unmined.length === 0) return;
    const txids = [...new Set(unmined.map((p) => p.txid))];
    const known = await Promise.all(txids.map((txid) => this.provider.getTransaction(txid)));
    for (const [i, txid] of txids.entries()) {
      if (known[i] !== null) continue;
      const state = await this.#vanishedState(txid);
      const touched = await this.db.transaction((t) => this.#store.markGone(asVerifierDb(t), txid, state, this.clock.now()));
      for (const id of touched) this.#dirty.add(id);
      this.logger.warn({ chain: this.spec.chain, txid, state }, 'payment transaction left the chain and the node no longer knows it');
    }
  }

  async #vanishedState(txid: string): Promise<'orphaned' | 'replaced'> {
    const [sender] = (await this.#store.inputsOf(this.#kysely, txid)) ?? [];
    if (sender === undefined) return 'orphaned';
    const [from, nonce] = sender.split(':');
    const used = await this.provider.getTransactionCount(from!, 'latest');
    return used > Number(nonce) ? 'replaced' : 'orphaned';
  }

  /**
   * Matches addresses against the blocks processed since (shortly before) their checkouts were created:
   * a block processed between a checkout's creation and its address reaching the watched set would
   * otherwise never be looked at for it.
   */
  async #rematchRecentBlocks(addresses: readonly WatchedAddress[]): Promise<void> {
    if (addresses.length === 0) return;
    const since = new Date(Math.min(...addresses.map((a) => a.createdAt.getTime())) - LATE_ADDRESS_MARGIN_MS);
    const recent = await this.#kysely
      .selectFrom('chain_recent_blocks')
      .select(['height', 'hash'])
      .where('chain', '=', this.spec.chain)
      .where('processed_at', '>=', since)
      .orderBy('height')
      .execute();
    if (recent.length === 0) return;
    const keys = new Set<string>();
    for (const a of addresses) {
      try {
        keys.add(evmAddressKey(a.address));
      } catch {
        // Logged when it was refused from the watched set.
      }
    }
    if (keys.size === 0) return;
    const topics = keys.size <= MAX_TOPIC_FILTER_ADDRESSES ? [...keys].map(addressTopic) : undefined;
    const tip = this.#cursor!.height;
    for (let i = 0; i < recent.length; i += this.#batch) {
      const chunk = recent.slice(i, i + this.#batch);
      const fetched = await Promise.all(chunk.map((b) => this.provider.getBlock(b.hash, true)));
      // A block gone from the node was reorged out: the next round's parent check unwinds it.
      const blocks = fetched.filter((b): b is Block => b !== null && b.hash !== null);
      const logs = new Map<string, Log[]>();
      if (this.spec.tokens.length > 0 && blocks.length > 0) {
        for (const log of await this.#transferLogs(Number(chunk[0]!.height), Number(chunk.at(-1)!.height), topics)) {
          const list = logs.get(log.blockHash) ?? [];
          list.push(log);
          logs.set(log.blockHash, list);
        }
      }
      const { byBlock } = await this.#match(blocks, logs, keys);
      if (byBlock.size === 0) continue;
      const sightings: OutputSighting[] = [];
      const senders = new Map<string, readonly string[]>();
      for (const [block, matches] of byBlock) {
        for (const m of matches) {
          sightings.push(sighting(m, block, tip));
          const tx = findTransaction(block, m.txid);
          if (tx !== undefined) senders.set(m.txid, [senderNonce(tx)]);
        }
      }
      await this.db.transaction(async (t) => {
        const trx = asVerifierDb(t);
        const touched = await this.#store.record(trx, sightings, this.clock.now());
        await this.#store.recordInputs(trx, senders);
        for (const id of touched) this.#dirty.add(id);
      });
      this.metrics?.paymentsMatched.inc({ chain: this.spec.chain, source: 'late_address' }, sightings.length);
    }
  }

  /**
   * Native ETH paying watched addresses from the node's pending block: recorded unconfirmed (no block),
   * once per transaction while it waits. Mined, the block's sighting confirms the same payment; dropped,
   * `#classifyVanished` finds it unknown to the node. Unmatched transactions are matched again next round
   * (an address may reach the watched set meanwhile).
   */
  async #syncPending(): Promise<void> {
    const txs = pendingTransactions(await this.provider.send('eth_getBlockByNumber', ['pending', true]));
    const live = new Set(txs.map((tx) => tx.hash));
    for (const txid of this.#pendingRecorded) if (!live.has(txid)) this.#pendingRecorded.delete(txid);
    const { matches } = matchNativeTransfers(
      txs.filter((tx) => !this.#pendingRecorded.has(tx.hash)),
      this.spec.nativeAsset,
      this.watched,
    );
    if (matches.length === 0) return;
    const byHash = new Map(txs.map((tx) => [tx.hash, tx]));
    const senders = new Map<string, readonly string[]>();
    for (const m of matches) {
      const tx = byHash.get(m.txid)!;
      senders.set(m.txid, [`${tx.from.toLowerCase()}:${tx.nonce}`]);
    }
    const sightings: OutputSighting[] = matches.map((m) => ({ ...m, rbfSignalled: true, block: null, tipHeight: 0 }));
    await this.db.transaction(async (t) => {
      const trx = asVerifierDb(t);
      const touched = await this.#store.record(trx, sightings, this.clock.now());
      await this.#store.recordInputs(trx, senders);
      for (const id of touched) this.#dirty.add(id);
    });
    for (const m of matches) this.#pendingRecorded.add(m.txid);
    this.metrics?.paymentsMatched.inc({ chain: this.spec.chain, source: 'mempool' }, matches.length);
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
    this.metrics?.lagBlocks.set({ chain: this.spec.chain }, Math.max(0, this.#nodeTipHeight - processed));
  }
}

function sighting(m: EvmTransferMatch, block: Block, tipHeight: number): OutputSighting {
  return {
    checkoutId: m.checkoutId,
    asset: m.asset,
    txid: m.txid,
    outputIndex: m.outputIndex,
    amountBase: m.amountBase,
    rbfSignalled: false,
    block: { hash: block.hash!, height: block.number },
    tipHeight,
  };
}

/**
 * The transactions of a raw `eth_getBlockByNumber("pending", true)` answer (ethers' `getBlock` refuses a
 * pending block: its number is null on some nodes). Anything malformed is skipped; no pending block
 * (null, a node without one) is no transactions.
 */
export function pendingTransactions(raw: unknown): EvmTransactionLike[] {
  const list = (raw as { transactions?: unknown } | null)?.transactions;
  if (!Array.isArray(list)) return [];
  const txs: EvmTransactionLike[] = [];
  for (const item of list as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const { hash, to, from, nonce, value } = item as Record<string, unknown>;
    if (typeof hash !== 'string' || typeof from !== 'string' || typeof nonce !== 'string' || typeof value !== 'string') continue;
    if (to !== null && typeof to !== 'string') continue;
    if (!/^0x[0-9a-fA-F]{1,64}$/.test(value) || !/^0x[0-9a-fA-F]{1,16}$/.test(nonce)) continue;
    txs.push({ hash: hash.toLowerCase(), to, from, nonce: Number(BigInt(nonce)), value: BigInt(value) });
  }
  return txs;
}

function findTransaction(block: Block, txid: string): TransactionResponse | undefined {
  return block.prefetchedTransactions.find((tx) => tx.hash === txid);
}

/** `<sender>:<nonce>`: what a conflicting transaction would reuse (kept in the store's per-transaction inputs). */
function senderNonce(tx: TransactionResponse): string {
  return `${tx.from.toLowerCase()}:${tx.nonce}`;
}
