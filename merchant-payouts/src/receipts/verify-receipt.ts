import type { KeyObject } from 'node:crypto';
import { parseCompactJws, verifyEd25519 } from './compact-jws';
import { ed25519PublicKeyFromX, ed25519Thumbprint } from './jwk';
import { parseReceiptClaims, RECEIPT_JWS_TYPE, type ReceiptClaims } from './receipt-claims';
import {
  InvalidJwksError,
  MalformedReceiptError,
  RetiredReceiptKeyError,
  TamperedReceiptError,
  UnknownReceiptKeyError,
  WrongStoreReceiptError,
} from './receipt-errors';

export interface VerifyReceiptOptions {
  /** The verifying store's id: a receipt for any other store is refused. */
  readonly expectedStoreId?: string;
  /** The instant key retirement is judged at (default: now). */
  readonly now?: Date;
}

interface UsableKey {
  readonly publicKey: KeyObject;
  readonly retiresAt: Date | undefined;
}

/**
 * Verifies a Coinstile receipt offline against a key set (the JSON of `/.well-known/jwks.json`, fetched
 * earlier or now) and returns its claims. Throws a `ReceiptVerificationError`: `MalformedReceiptError`,
 * `UnknownReceiptKeyError`, `RetiredReceiptKeyError`, `TamperedReceiptError`, `WrongStoreReceiptError`,
 * or `InvalidJwksError` when `jwks` is not a key set. Keys whose `kid` is not their RFC 7638 thumbprint
 * are ignored, so a key set cannot make one key answer for another's receipts.
 */
export function verifyReceipt(jws: string, jwks: unknown, options: VerifyReceiptOptions = {}): ReceiptClaims {
  const keys = usableKeys(jwks);
  const parsed = parseCompactJws(jws);
  const { alg, typ, kid } = parsed.header;
  if (alg !== 'EdDSA') throw new MalformedReceiptError(`unsupported alg ${JSON.stringify(alg)} (receipts are EdDSA)`);
  if (typ !== RECEIPT_JWS_TYPE) throw new MalformedReceiptError(`typ is ${JSON.stringify(typ)}, not ${RECEIPT_JWS_TYPE}`);
  if (typeof kid !== 'string' || kid.length === 0) throw new MalformedReceiptError('the JWS header names no kid');
  if (parsed.header['crit'] !== undefined) throw new MalformedReceiptError('critical header extensions are not supported');
  const key = keys.get(kid);
  if (key === undefined) throw new UnknownReceiptKeyError(kid);
  const now = options.now ?? new Date();
  if (key.retiresAt !== undefined && key.retiresAt.getTime() <= now.getTime()) throw new RetiredReceiptKeyError(kid, key.retiresAt);
  if (parsed.signature.length !== 64 || !verifyEd25519(parsed.signingInput, parsed.signature, key.publicKey)) {
    throw new TamperedReceiptError(`the signature does not match the receipt under key ${kid}`);
  }
  const claims = parseReceiptClaims(parsed.payload);
  if (options.expectedStoreId !== undefined && claims.storeId !== options.expectedStoreId) {
    throw new WrongStoreReceiptError(options.expectedStoreId, claims.storeId);
  }
  return claims;
}

function usableKeys(jwks: unknown): Map<string, UsableKey> {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) {
    throw new InvalidJwksError('the key set is not a JWKS ({"keys":[...]})');
  }
  const usable = new Map<string, UsableKey>();
  for (const jwk of (jwks as { keys: unknown[] }).keys) {
    if (typeof jwk !== 'object' || jwk === null) continue;
    const { kty, crv, x, kid, exp } = jwk as Record<string, unknown>;
    if (kty !== 'OKP' || crv !== 'Ed25519' || typeof x !== 'string' || typeof kid !== 'string') continue;
    if (ed25519Thumbprint(x) !== kid) continue;
    const publicKey = ed25519PublicKeyFromX(x);
    if (publicKey === undefined) continue;
    usable.set(kid, { publicKey, retiresAt: typeof exp === 'number' && Number.isFinite(exp) ? new Date(exp * 1000) : undefined });
  }
  return usable;
}
