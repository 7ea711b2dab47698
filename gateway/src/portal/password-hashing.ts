import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';

/**
 * scrypt's cost: N = 2^15, r = 8, p = 1 takes 32 MiB and tens of milliseconds per hash, so every guess
 * costs an attacker the same memory (RFC 7914's interactive-login order of magnitude).
 */
export interface ScryptCost {
  readonly log2N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_SCRYPT_COST: ScryptCost = { log2N: 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Passwords longer than this (in UTF-8 bytes) are refused before hashing: no unbounded work per request. */
export const MAX_PASSWORD_BYTES = 1024;
export const MIN_PASSWORD_LENGTH = 12;

/** scrypt needs 128·N·r bytes; maxmem must allow it (Node's default, 32 MiB, is just too small for N = 2^15). */
function optionsOf(cost: ScryptCost): ScryptOptions {
  const N = 2 ** cost.log2N;
  return { N, r: cost.r, p: cost.p, maxmem: 128 * N * cost.r + 16 * 1024 * 1024 };
}

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, optionsOf(cost), (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$<log2 N>$<r>$<p>$<salt b64url>$<key b64url>`: the parameters travel with the hash. */
export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, cost);
  return ['scrypt', cost.log2N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

const STORED = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{43})$/;

/** Whether `password` matches `stored` (constant-time comparison); a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = STORED.exec(stored);
  if (match === null) return false;
  const cost: ScryptCost = { log2N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  if (cost.log2N < 10 || cost.log2N > 20 || cost.r < 1 || cost.p < 1) return false;
  const expected = Buffer.from(match[5] ?? '', 'base64url');
  const actual = await derive(password, Buffer.from(match[4] ?? '', 'base64url'), cost);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * A hash of no one's password, checked when the email is unknown, so a sign-in takes as long whether or
 * not the account exists (no account enumeration by timing).
 */
export function decoyHash(cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  return hashPassword(randomBytes(18).toString('base64url'), cost);
}

/** Why a new password is refused, or null when it is acceptable. */
export function passwordProblem(password: string): 'too_short' | 'too_long' | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return 'too_short';
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return 'too_long';
  return null;
}
