import { assertNever } from '@coinstile/core';

/**
 * What each chain looked like over the run, recorded by the runner (the only miner and the only one to
 * reorganise), so that a release can be compared with the moment its payment reached the confirmations
 * the store's policy asks for.
 *
 * Times are the runner's clock, the same machine clock the Coinstile processes stamp `settled_at` and
 * `released_at` with. Each change is dated to the side that favours Coinstile, so that only a real early
 * release fails: a block counts from the moment the call that made it started, a reorganisation from the
 * moment `invalidateblock` returned.
 */

export interface MinedBlock {
  readonly hash: string;
  readonly height: number;
  readonly txids: readonly string[];
}

type LitecoinChange =
  | { readonly kind: 'connect'; readonly atMs: number; readonly block: MinedBlock }
  | { readonly kind: 'disconnect'; readonly atMs: number; readonly fromHeight: number };

/** Litecoin regtest: blocks connected on top and branches cut by `invalidateblock`. */
export class LitecoinTimeline {
  readonly #changes: LitecoinChange[] = [];

  /** The chain as the run found it: `tipHeight` blocks that carry no payment of the run. */
  constructor(private readonly initialTipHeight: number) {}

  connected(block: MinedBlock, callStartedAtMs: number): void {
    this.#changes.push({ kind: 'connect', atMs: callStartedAtMs, block });
  }

  /** Every block from `fromHeight` up was taken off the active chain. */
  disconnected(fromHeight: number, callEndedAtMs: number): void {
    this.#changes.push({ kind: 'disconnect', atMs: callEndedAtMs, fromHeight });
  }

  /**
   * For each transaction asked about, the first moment it had `required` confirmations on the active
   * chain (absent: never). Replays the changes in order, keeping the height of every transaction on the
   * active chain.
   */
  confirmedAt(required: ReadonlyMap<string, number>): Map<string, number> {
    const reached = new Map<string, number>();
    const active: MinedBlock[] = [];
    const heightOf = new Map<string, number>();
    let tip = this.initialTipHeight;
    const changes = [...this.#changes].sort((a, b) => a.atMs - b.atMs);
    for (const change of changes) {
      switch (change.kind) {
        case 'connect': {
          active.push(change.block);
          for (const txid of change.block.txids) heightOf.set(txid, change.block.height);
          tip = change.block.height;
          break;
        }
        case 'disconnect': {
          while (active.length > 0 && active[active.length - 1]!.height >= change.fromHeight) {
            for (const txid of active.pop()!.txids) heightOf.delete(txid);
          }
          tip = change.fromHeight - 1;
          break;
        }
        default:
          assertNever(change, 'chain change');
      }
      for (const [txid, confirmations] of required) {
        if (reached.has(txid)) continue;
        const height = heightOf.get(txid);
        if (height !== undefined && tip - height + 1 >= confirmations) reached.set(txid, change.atMs);
      }
    }
    return reached;
  }

}

/** The EVM chain (Hardhat): linear, every block counts from the call that made it. */
export class EvmTimeline {
  readonly #tips: { readonly atMs: number; readonly tip: number }[] = [];

  tipReached(tip: number, callStartedAtMs: number): void {
    this.#tips.push({ atMs: callStartedAtMs, tip });
  }

  /** The first moment the chain had `required` confirmations of a block at `height` (undefined: never). */
  confirmedAt(height: number, required: number): number | undefined {
    let first: number | undefined;
    for (const { atMs, tip } of this.#tips) {
      if (tip - height + 1 >= required && (first === undefined || atMs < first)) first = atMs;
    }
    return first;
  }
}
