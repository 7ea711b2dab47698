import { createHmac } from 'node:crypto';
import type { VoucherPin } from '@coinstile/core';
import { scryptHash, scryptVerify } from '../auth/scrypt-hash';

/** scrypt's cost for PINs: N = 2^14, r = 8 (16 MiB, tens of milliseconds per PIN). Tests may lower `N` (a power of two). */
export interface PinHashCost {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_PIN_HASH_COST: PinHashCost = { N: 16_384, r: 8, p: 1 };

/**
 * How PINs are kept: a lookup tag, HMAC-SHA256 of the PIN under an installation secret, finds a voucher
 * through a unique index (the database alone cannot test guesses against it); a salted scrypt hash
 * (the same format as store users' passwords, `auth/scrypt-hash`) is verified after, in constant time.
 */
export class PinHasher {
  readonly #lookupKey: Buffer;
  readonly #cost: PinHashCost;
  /** A hash of nothing, verified when no voucher matches, so a miss takes as long as a wrong PIN. */
  #decoy: Promise<string> | undefined;

  constructor(lookupKey: Buffer, cost: PinHashCost = DEFAULT_PIN_HASH_COST) {
    this.#lookupKey = lookupKey;
    this.#cost = cost;
  }

  lookupTag(pin: VoucherPin): string {
    return createHmac('sha256', this.#lookupKey).update(pin).digest('hex');
  }

  hash(pin: VoucherPin): Promise<string> {
    return scryptHash(pin, { log2N: Math.log2(this.#cost.N), r: this.#cost.r, p: this.#cost.p });
  }

  /** True when `stored` is the hash of `pin`; compares in constant time. A malformed `stored` is false. */
  verify(pin: VoucherPin, stored: string): Promise<boolean> {
    return scryptVerify(pin, stored);
  }

  /** Spends the time of one verification without any voucher (a lookup that found nothing). */
  async verifyNothing(pin: VoucherPin): Promise<void> {
    this.#decoy ??= this.hash('0000000000000000' as VoucherPin);
    await this.verify(pin, await this.#decoy);
  }
}
