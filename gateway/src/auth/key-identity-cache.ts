/**
 * Identities of presented secret keys (store API keys, carrier keys), keyed by the key's hash, for a short
 * time: the hot path of authentication does no database read. Unknown keys are remembered as `null` too,
 * so a flood of wrong keys does not reach the database either. Bounded: past `maxEntries` it starts over.
 */
export class KeyIdentityCache<Identity extends { readonly keyId: string }> {
  readonly #entries = new Map<string, { readonly identity: Identity | null; readonly expiresAtMs: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The identity cached for `hash` (`null`: known not to be a valid key), or `undefined` when not cached. */
  get(hash: string, nowMs: number): Identity | null | undefined {
    const entry = this.#entries.get(hash);
    return entry !== undefined && entry.expiresAtMs > nowMs ? entry.identity : undefined;
  }

  set(hash: string, identity: Identity | null, nowMs: number): void {
    if (this.#entries.size >= this.maxEntries) this.#entries.clear();
    this.#entries.set(hash, { identity, expiresAtMs: nowMs + this.ttlMs });
  }

  /** Forgets key `keyId` (revoked), so the next request with it reads the database. */
  forget(keyId: string): void {
    for (const [hash, entry] of this.#entries) if (entry.identity?.keyId === keyId) this.#entries.delete(hash);
  }
}
