import { createHmac, randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';
import type { VoucherPin } from '@coinstile/core';

/** scrypt's cost: N = 2^14, r = 8 (16 MiB, tens of milliseconds per PIN). Tests may lower `N`. */
export interface PinHashCost {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_PIN_HASH_COST: PinHashCost = { N: 16_384, r: 8, p: 1 };

const KEY_BYTES = 32;
const SALT_BYTES = 16;

function scryptAsync(secret: string, salt: Buffer, cost: PinHashCost): Promise<Buffer> {
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(secret, salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/**
 * How PINs are kept: a lookup tag, HMAC-SHA256 of the PIN under an installation secret, finds a voucher
 * through a unique index (the database alone cannot test guesses against it); a salted scrypt hash
 * (`scrypt$N$r$p$salt$hash`, base64) is verified after, in constant time.
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

  async hash(pin: VoucherPin): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await scryptAsync(pin, salt, this.#cost);
    return `scrypt$${this.#cost.N}$${this.#cost.r}$${this.#cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  /** True when `stored` is the hash of `pin`; compares in constant time. A malformed `stored` is false. */
  async verify(pin: VoucherPin, stored: string): Promise<boolean> {
    const [scheme, n, r, p, saltText, keyText] = stored.split('$');
    if (scheme !== 'scrypt' || saltText === undefined || keyText === undefined) return false;
    const cost = { N: Number(n), r: Number(r), p: Number(p) };
    if (![cost.N, cost.r, cost.p].every((v) => Number.isInteger(v) && v > 0)) return false;
    const expected = Buffer.from(keyText, 'base64');
    const actual = await scryptAsync(pin, Buffer.from(saltText, 'base64'), cost);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  /** Spends the time of one verification without any voucher (a lookup that found nothing). */
  async verifyNothing(pin: VoucherPin): Promise<void> {
    this.#decoy ??= this.hash('0000000000000000' as VoucherPin);
    await this.verify(pin, await this.#decoy);
  }
}
