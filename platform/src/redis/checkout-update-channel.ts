import type { Redis } from 'ioredis';

/** Prefix of the per-checkout Redis pub/sub channels hosted pages listen on. */
export const CHECKOUT_UPDATE_CHANNEL_PREFIX = 'coinstile:checkout-updates:';

/** The pub/sub channel announcing changes of one checkout. */
export function checkoutUpdateChannel(checkoutId: string): string {
  return `${CHECKOUT_UPDATE_CHANNEL_PREFIX}${checkoutId}`;
}

/**
 * Tells open hosted pages (in any gateway process) that `checkoutId` changed, so they re-read it at once.
 * Call it after the transaction that changed the checkout has committed (never before: a page would
 * re-read the old state), with the checkout's new `version` when known.
 *
 * A hint, not a delivery guarantee: pub/sub drops messages nobody is subscribed to and those sent
 * while Redis is down. Pages also poll the database, so a lost message only delays the update by a
 * poll interval. It therefore never throws: it resolves true when Redis took the message, false when
 * it could not be sent (the caller may log that and carry on).
 */
export async function publishCheckoutUpdate(redis: Pick<Redis, 'publish'>, checkoutId: string, version?: number): Promise<boolean> {
  try {
    await redis.publish(checkoutUpdateChannel(checkoutId), version === undefined ? '' : String(version));
    return true;
  } catch {
    return false;
  }
}
