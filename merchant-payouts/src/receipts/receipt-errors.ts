/** Why a receipt was not accepted. */
export type ReceiptRejectionReason = 'malformed' | 'tampered' | 'unknown_key' | 'key_retired' | 'wrong_store' | 'invalid_jwks';

/** A receipt that must not be trusted; `reason` says why (each reason has its own subclass). */
export abstract class ReceiptVerificationError extends Error {
  abstract readonly reason: ReceiptRejectionReason;
}

/** Not a compact JWS, not a Coinstile receipt (`alg`, `typ`, `kid`), or claims missing or mistyped. */
export class MalformedReceiptError extends ReceiptVerificationError {
  readonly reason = 'malformed';
  override readonly name = 'MalformedReceiptError';
}

/** The signature does not match header and claims under the key the receipt names: altered after signing. */
export class TamperedReceiptError extends ReceiptVerificationError {
  readonly reason = 'tampered';
  override readonly name = 'TamperedReceiptError';
}

/** No key with the receipt's `kid` in the key set (never published there, or retired and no longer published). */
export class UnknownReceiptKeyError extends ReceiptVerificationError {
  readonly reason = 'unknown_key';
  override readonly name = 'UnknownReceiptKeyError';
  constructor(readonly kid: string) {
    super(`no key ${kid} in the key set`);
  }
}

/** The key set still lists the key, but its retirement time (`exp`) has passed. */
export class RetiredReceiptKeyError extends ReceiptVerificationError {
  readonly reason = 'key_retired';
  override readonly name = 'RetiredReceiptKeyError';
  constructor(
    readonly kid: string,
    readonly retiredAt: Date,
  ) {
    super(`key ${kid} was retired at ${retiredAt.toISOString()}`);
  }
}

/** A valid receipt, but for another store than the one verifying it. */
export class WrongStoreReceiptError extends ReceiptVerificationError {
  readonly reason = 'wrong_store';
  override readonly name = 'WrongStoreReceiptError';
  constructor(
    readonly expectedStoreId: string,
    readonly actualStoreId: string,
  ) {
    super(`receipt is for store ${actualStoreId}, not ${expectedStoreId}`);
  }
}

/** The key set itself is not a JWKS (`{"keys":[…]}`). */
export class InvalidJwksError extends ReceiptVerificationError {
  readonly reason = 'invalid_jwks';
  override readonly name = 'InvalidJwksError';
}
