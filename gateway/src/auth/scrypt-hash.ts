import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';

/** scrypt's cost parameters: N = 2^log2N, block size r, parallelism p. */
export interface ScryptCost {
  readonly log2N: number;
  readonly r: number;
  readonly p: number;
}

const SALT_BYTES = 16;
const KEY_BYTES = 32;

/** scrypt needs 128·N·r bytes; maxmem must allow it (Node's default, 32 MiB, is just too small for N = 2^15). */
function optionsOf(cost: ScryptCost): ScryptOptions {
  const N = 2 ** cost.log2N;
  return { N, r: cost.r, p: cost.p, maxmem: 128 * N * cost.r + 16 * 1024 * 1024 };
}

function derive(secret: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_BYTES, optionsOf(cost), (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * A salted scrypt hash of a secret (store users' passwords, voucher PINs) as
 * `scrypt$<log2 N>$<r>$<p>$<salt b64url>$<key b64url>`: the parameters travel with the hash.
 */
export async function scryptHash(secret: string, cost: ScryptCost): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(secret, salt, cost);
  return ['scrypt', cost.log2N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

const STORED = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{43})$/;

/** Whether `secret` matches `stored` (constant-time comparison); a malformed stored hash never matches. */
export async function scryptVerify(secret: string, stored: string): Promise<boolean> {
  const match = STORED.exec(stored);
  if (match === null) return false;
  const cost: ScryptCost = { log2N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  if (cost.log2N < 10 || cost.log2N > 20 || cost.r < 1 || cost.p < 1) return false;
  const expected = Buffer.from(match[5] ?? '', 'base64url');
  const actual = await derive(secret, Buffer.from(match[4] ?? '', 'base64url'), cost);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
