/**
 * The provider could not be reached or did not answer usably (network error, timeout, 5xx after every
 * retry). Nothing is known to have failed for good: the batcher submits the batch again later, which is
 * safe because providers are idempotent per batch and payout.
 */
export class PayoutProviderUnavailableError extends Error {
  constructor(
    readonly provider: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bank file for the batch already exists with other content: a bug or tampering, never overwritten. */
export class BankFileConflictError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}
