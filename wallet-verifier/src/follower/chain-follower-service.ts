import type { LifecycleComponent, Logger, ReadinessCheck } from '@coinstile/platform';
import { backoffDelayMs, sleep } from './backoff';
import type { FollowerLock } from './follower-lock';
import type { FollowerMetrics } from './follower-metrics';
import type { ChainCursor } from './utxo-chain-follower';

/** What the service drives: one chain's follower, made afresh for each term as lock holder. */
export interface ChainFollower {
  start(): Promise<void>;
  syncOnce(): Promise<void>;
  /**
   * Waits up to `timeoutMs` for the node to have a block beyond the cursor, returning as soon as it has
   * one (a long poll on the node): the pause between rounds without the poll interval's latency. Without
   * it the service sleeps.
   */
  waitForNextBlock?(timeoutMs: number): Promise<void>;
  readonly cursor: ChainCursor | undefined;
  readonly nodeTipHeight: number | null;
}

export type FollowerRole = 'standby' | 'leader' | 'stopped';

export interface FollowerStatus {
  readonly chain: string;
  readonly role: FollowerRole;
  /** How many times this process became the chain's follower (a lost lock ends a term). */
  readonly leaderTerms: number;
  readonly processedHeight: number | null;
  readonly nodeTipHeight: number | null;
  readonly lagBlocks: number | null;
  readonly lastSyncAt: Date | null;
  readonly consecutiveFailures: number;
  readonly lastError: string | null;
}

export interface ChainFollowerServiceOptions {
  /** Pause between rounds (the tip is polled once a round). Default 250 ms. */
  readonly pollIntervalMs?: number;
  /** How often a standby tries the lock. Default 1 s. */
  readonly standbyRetryMs?: number;
  /** Backoff after failed rounds (node or database unreachable): from min to max, with jitter. */
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  /** Readiness fails beyond this lag. Default 3 blocks. */
  readonly maxReadyLagBlocks?: number;
  /** Readiness fails when the last good round is older than this. Default 30 s. */
  readonly maxReadyStalenessMs?: number;
}

/**
 * Runs one chain's follower: waits for the chain's follower lock (standby), then follows in rounds every
 * `pollIntervalMs` (or at once when the follower's `waitForNextBlock` sees a new block) until stopped or until the lock is lost (back to standby, a fresh follower next term).
 * A failed round (node unreachable, database down) is retried with exponential backoff and jitter.
 */
export class ChainFollowerService implements LifecycleComponent {
  readonly name: string;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #role: FollowerRole = 'standby';
  #follower: ChainFollower | undefined;
  #lastSyncAt: Date | null = null;
  #failures = 0;
  #lastError: string | null = null;
  #terms = 0;

  constructor(
    readonly chain: string,
    private readonly makeFollower: () => ChainFollower,
    private readonly lock: FollowerLock,
    private readonly logger: Logger,
    private readonly metrics: FollowerMetrics | undefined,
    private readonly options: ChainFollowerServiceOptions = {},
  ) {
    this.name = `chain-follower:${chain}`;
  }

  start(): void {
    this.#loop ??= this.#run().catch((err: unknown) => {
      this.logger.fatal({ err, chain: this.chain }, 'chain follower loop crashed');
    });
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    await this.lock.release();
    this.#role = 'stopped';
    this.metrics?.leader.set({ chain: this.chain }, 0);
  }

  status(): FollowerStatus {
    const processed = this.#follower?.cursor?.height ?? null;
    const tip = this.#follower?.nodeTipHeight ?? null;
    return {
      chain: this.chain,
      role: this.#role,
      leaderTerms: this.#terms,
      processedHeight: processed,
      nodeTipHeight: tip,
      lagBlocks: processed === null || tip === null ? null : Math.max(0, tip - processed),
      lastSyncAt: this.#lastSyncAt,
      consecutiveFailures: this.#failures,
      lastError: this.#lastError,
    };
  }

  /** `/readyz`: a standby is ready; a leader when it is caught up and its last round is recent. */
  readinessCheck(): ReadinessCheck {
    return {
      name: `chain-${this.chain}`,
      check: async () => {
        const s = this.status();
        if (s.role !== 'leader') return;
        const maxLag = this.options.maxReadyLagBlocks ?? 3;
        const maxStaleness = this.options.maxReadyStalenessMs ?? 30_000;
        const age = s.lastSyncAt === null ? Infinity : Date.now() - s.lastSyncAt.getTime();
        if (age > maxStaleness) {
          throw new Error(
            `${this.chain}: no successful round for ${Number.isFinite(age) ? `${Math.round(age / 1000)} s` : 'ever'}; lag ${s.lagBlocks ?? '?'} blocks; last error: ${s.lastError ?? 'none'}`,
          );
        }
        if (s.lagBlocks !== null && s.lagBlocks > maxLag) {
          throw new Error(`${this.chain}: ${s.lagBlocks} blocks behind the node (processed ${s.processedHeight}, tip ${s.nodeTipHeight})`);
        }
      },
    };
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      if (!(await this.#acquire())) {
        await sleep(this.options.standbyRetryMs ?? 1_000, signal);
        continue;
      }
      this.#role = 'leader';
      this.#terms++;
      this.metrics?.leader.set({ chain: this.chain }, 1);
      this.logger.info({ chain: this.chain }, 'holding the follower lock: following the chain');
      const follower = this.makeFollower();
      this.#follower = follower;
      let started = false;
      while (!signal.aborted && this.lock.held) {
        const began = Date.now();
        try {
          if (!started) {
            await follower.start();
            started = true;
          }
          await follower.syncOnce();
          this.#lastSyncAt = new Date();
          if (this.#failures > 0) this.logger.info({ chain: this.chain, failures: this.#failures }, 'chain follower recovered');
          this.#failures = 0;
          this.#lastError = null;
          const pause = (this.options.pollIntervalMs ?? 250) - (Date.now() - began);
          if (pause > 0 && !signal.aborted) {
            if (follower.waitForNextBlock) await follower.waitForNextBlock(pause);
            else await sleep(pause, signal);
          }
        } catch (err) {
          this.#failures++;
          this.#lastError = err instanceof Error ? err.message : String(err);
          this.metrics?.nodeErrors.inc({ chain: this.chain });
          const delay = backoffDelayMs(this.#failures, this.options.backoffMinMs ?? 250, this.options.backoffMaxMs ?? 10_000);
          this.logger.warn({ err, chain: this.chain, failures: this.#failures, retryInMs: delay }, 'chain follower round failed');
          await sleep(delay, signal);
        }
      }
      if (!signal.aborted) {
        this.logger.error({ chain: this.chain }, 'follower lock lost: back to standby');
        this.#role = 'standby';
        this.metrics?.leader.set({ chain: this.chain }, 0);
        await this.lock.release();
      }
    }
  }

  async #acquire(): Promise<boolean> {
    try {
      return await this.lock.tryAcquire();
    } catch (err) {
      this.logger.warn({ err, chain: this.chain }, 'could not try the follower lock');
      return false;
    }
  }
}
