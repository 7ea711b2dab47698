import type { Checkout } from '../checkout/checkout';
import type { CheckoutEvent } from '../checkout/checkout-event';
import type { CheckoutId, StoreId } from '../ids/id';

/**
 * Checkouts in the store of record. After `insert`, state changes only through `compareAndSet`, with
 * the `next` state and `events` that `evaluate` / `cancel` / `choosePaymentAsset` returned.
 */
export interface CheckoutRepository {
  /** Stores a new checkout (version 1). Rejects a duplicate id. */
  insert(checkout: Checkout): Promise<void>;
  /** The checkout if it exists and belongs to `storeId` (another store's checkout is not found). */
  get(storeId: StoreId, id: CheckoutId): Promise<Checkout | null>;
  /** The checkout whatever its store: for internal services (verifier, pipeline), never for API callers. */
  findById(id: CheckoutId): Promise<Checkout | null>;
  /**
   * In one transaction: writes `next` only if the stored version is still `expectedVersion`, and
   * appends `events` to the outbox (keyed by their `dedupeKey`). Returns false, having written nothing,
   * when another writer moved the version first: re-read, re-evaluate, retry.
   * `next.version` must be `expectedVersion + 1`.
   */
  compareAndSet(next: Checkout, expectedVersion: number, events: readonly CheckoutEvent[]): Promise<boolean>;
}
