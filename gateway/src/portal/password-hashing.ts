import { randomBytes } from 'node:crypto';
import { type ScryptCost, scryptHash, scryptVerify } from '../auth/scrypt-hash';

export type { ScryptCost } from '../auth/scrypt-hash';

/**
 * Store users' passwords: scrypt at N = 2^15, r = 8, p = 1 takes 32 MiB and tens of milliseconds per hash,
 * so every guess costs an attacker the same memory (RFC 7914's interactive-login order of magnitude).
 */
export const DEFAULT_SCRYPT_COST: ScryptCost = { log2N: 15, r: 8, p: 1 };

/** Passwords longer than this (in UTF-8 bytes) are refused before hashing: no unbounded work per request. */
export const MAX_PASSWORD_BYTES = 1024;
export const MIN_PASSWORD_LENGTH = 12;

/** The password's scrypt hash (NFC-normalised, so the same password typed on another keyboard matches). */
export function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  return scryptHash(password.normalize('NFC'), cost);
}

/** Whether `password` matches `stored` (constant-time comparison); a malformed stored hash never matches. */
export function verifyPassword(password: string, stored: string): Promise<boolean> {
  return scryptVerify(password.normalize('NFC'), stored);
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
