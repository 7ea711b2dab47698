/** An event to publish, written in the same transaction as the state change it announces. */
export interface OutboxMessage {
  /** Deduplication key (a domain event's `dedupeKey`): the outbox stores each id once. */
  readonly eventId: string;
  /** The event type, e.g. `checkout.settled`, `order.released`, `payout.paid`. */
  readonly eventType: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  /** Any domain value; the writer serialises bigints as decimal strings and Dates as ISO strings. */
  readonly payload: unknown;
}

/**
 * Appends messages to the transactional outbox. An implementation is bound to one unit of work (a
 * database transaction): the messages become visible exactly when that transaction commits, so an event
 * exists if and only if the change it announces does. Appending an `eventId` already present is a
 * no-op, not an error, so retries are safe.
 */
export interface OutboxWriter {
  append(messages: readonly OutboxMessage[]): Promise<void>;
}
