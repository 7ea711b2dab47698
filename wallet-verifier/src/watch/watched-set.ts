import type { CheckoutId, CryptoAsset } from '@coinstile/core';

/** What a watched key (an output script, an account address) pays. */
export interface WatchedEntry {
  readonly checkoutId: CheckoutId;
  readonly asset: CryptoAsset;
}

const ASSETS: readonly CryptoAsset[] = ['BTC', 'LTC', 'ETH', 'USDC'];

/**
 * The payment destinations a follower matches outputs against, in memory, sized for millions of entries.
 * Chain-agnostic: a key is whatever string the chain adapter derives from a destination (the raw
 * output script as a latin1 string for Bitcoin-family chains — 22 one-byte characters for P2WPKH —, the
 * lower-case address for EVM chains).
 *
 * Layout: one `Map<string, number>` from key to a slot; checkout ids, assets and watch deadlines live in
 * parallel arrays indexed by slot, so an entry costs a map entry, its key string and one id string, and no
 * object per entry. Lookups return a slot (no allocation); `entryAt` builds an object only for matches.
 */
export class WatchedSet {
  readonly #slots = new Map<string, number>();
  readonly #checkoutIds: (CheckoutId | undefined)[] = [];
  #assets = new Uint8Array(1024);
  #watchUntilMs = new Float64Array(1024);
  readonly #freeSlots: number[] = [];
  /** How many keys of each length are watched: outputs of other lengths are skipped before any lookup. */
  readonly #lengthCounts = new Map<number, number>();

  get size(): number {
    return this.#slots.size;
  }

  /**
   * Watches `key` for `checkoutId` until `watchUntil` (its monitoring deadline). Returns true when the key
   * is new; an existing key is updated in place (a checkout re-announced by the poller is not duplicated).
   */
  add(key: string, checkoutId: CheckoutId, asset: CryptoAsset, watchUntil: Date): boolean {
    const existing = this.#slots.get(key);
    const slot = existing ?? this.#freeSlots.pop() ?? this.#checkoutIds.length;
    if (slot >= this.#assets.length) this.#grow(slot + 1);
    this.#checkoutIds[slot] = checkoutId;
    this.#assets[slot] = ASSETS.indexOf(asset);
    this.#watchUntilMs[slot] = watchUntil.getTime();
    if (existing !== undefined) return false;
    this.#slots.set(key, slot);
    this.#lengthCounts.set(key.length, (this.#lengthCounts.get(key.length) ?? 0) + 1);
    return true;
  }

  /** The slot of `key`, or -1. Allocation-free: the matcher calls it for every output it reads. */
  slotOf(key: string): number {
    return this.#slots.get(key) ?? -1;
  }

  /** True when some watched key has this length (checked before building a key from an output). */
  watchesLength(length: number): boolean {
    return this.#lengthCounts.has(length);
  }

  entryAt(slot: number): WatchedEntry {
    const checkoutId = this.#checkoutIds[slot];
    if (checkoutId === undefined) throw new RangeError(`slot ${slot} is empty`);
    return { checkoutId, asset: ASSETS[this.#assets[slot]!]! };
  }

  get(key: string): WatchedEntry | undefined {
    const slot = this.slotOf(key);
    return slot < 0 ? undefined : this.entryAt(slot);
  }

  delete(key: string): boolean {
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    this.#slots.delete(key);
    this.#checkoutIds[slot] = undefined;
    this.#freeSlots.push(slot);
    const left = (this.#lengthCounts.get(key.length) ?? 1) - 1;
    if (left === 0) this.#lengthCounts.delete(key.length);
    else this.#lengthCounts.set(key.length, left);
    return true;
  }

  /** Stops watching every key whose deadline is before `now`; returns how many were dropped. */
  pruneBefore(now: Date): number {
    const nowMs = now.getTime();
    const expired: string[] = [];
    for (const [key, slot] of this.#slots) if (this.#watchUntilMs[slot]! < nowMs) expired.push(key);
    for (const key of expired) this.delete(key);
    return expired.length;
  }

  #grow(minimum: number): void {
    let capacity = this.#assets.length;
    while (capacity < minimum) capacity *= 2;
    const assets = new Uint8Array(capacity);
    assets.set(this.#assets);
    this.#assets = assets;
    const until = new Float64Array(capacity);
    until.set(this.#watchUntilMs);
    this.#watchUntilMs = until;
  }
}
