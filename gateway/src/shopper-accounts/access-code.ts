import { createHash, timingSafeEqual } from 'node:crypto';
import type { RandomSource } from '@coinstile/core';

/** Crockford base32: read aloud and retyped without I/L/O/U confusion. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_CHARS = 20;
const GROUP = 5;

/**
 * A new access code: 100 random bits as 20 Crockford base32 characters in groups of five
 * (`7K3QM-…`). Shown to the operator once; only its hash is stored. 100 bits make guessing hopeless even
 * without the per-IP limit, so a fast hash is enough (as for API keys).
 */
export function newAccessCode(random: RandomSource): string {
  const bytes = random.bytes(13);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let code = '';
  for (let i = 0; i < CODE_CHARS; i++) {
    code += CROCKFORD.charAt(Number(bits & 31n));
    bits >>= 5n;
  }
  return code.match(new RegExp(`.{${GROUP}}`, 'g'))!.join('-');
}

/**
 * The canonical form of a typed code: case, spaces and dashes ignored, and Crockford's aliases read as
 * the digits they look like (I, L → 1; O → 0). Anything else that is not base32 gives `undefined`.
 */
export function normalizeAccessCode(typed: string): string | undefined {
  const code = typed
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
  return code.length === CODE_CHARS && [...code].every((c) => CROCKFORD.includes(c)) ? code : undefined;
}

/** SHA-256 (hex) of the canonical code. */
export function hashAccessCode(code: string): string {
  return createHash('sha256').update(normalizeAccessCode(code) ?? code, 'utf8').digest('hex');
}

/** Compares a typed code with a stored hash in constant time (for codes of any length). */
export function accessCodeMatches(typed: string, storedHash: string): boolean {
  const normalized = normalizeAccessCode(typed);
  const presented = Buffer.from(createHash('sha256').update(normalized ?? `invalid:${typed}`, 'utf8').digest('hex'), 'utf8');
  const stored = Buffer.from(storedHash, 'utf8');
  return presented.length === stored.length && timingSafeEqual(presented, stored) && normalized !== undefined;
}
