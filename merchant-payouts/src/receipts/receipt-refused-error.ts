/** Why no receipt can be issued for a checkout. */
export type ReceiptRefusalReason = 'unknown_checkout' | 'checkout_not_settled';

/** A receipt certifies a settled checkout; anything else is refused. */
export class ReceiptRefusedError extends Error {
  override readonly name = 'ReceiptRefusedError';
  constructor(
    readonly reason: ReceiptRefusalReason,
    readonly checkoutId: string,
    message: string,
  ) {
    super(message);
  }
}
