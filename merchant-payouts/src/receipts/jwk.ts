import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/** An Ed25519 public key as a JWK (RFC 8037), as published in `/.well-known/jwks.json`. */
export interface Ed25519PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  /** The 32-byte public key, base64url. */
  readonly x: string;
  /** RFC 7638 thumbprint of `{crv, kty, x}`. */
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
  /** When the key is retired (Unix seconds): receipts it signed stop verifying then. Absent: no date set. */
  readonly exp?: number;
}

/** A JSON Web Key Set (RFC 7517 §5). */
export interface JsonWebKeySet {
  readonly keys: readonly Ed25519PublicJwk[];
}

const BASE64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

/** RFC 7638 thumbprint of an Ed25519 key: SHA-256 over the required members in lexicographic order, base64url. */
export function ed25519Thumbprint(x: string): string {
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
}

/** The base64url public value `x` of an Ed25519 key (public or private KeyObject). */
export function ed25519PublicX(key: KeyObject): string {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('not an Ed25519 key');
  return jwk.x;
}

/** The public KeyObject of a published `x`; undefined when `x` is not 32 bytes of base64url. */
export function ed25519PublicKeyFromX(x: string): KeyObject | undefined {
  if (!BASE64URL_32_BYTES.test(x)) return undefined;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch {
    return undefined;
  }
}

export function publicJwk(x: string, retiresAt: Date | null): Ed25519PublicJwk {
  return {
    kty: 'OKP',
    crv: 'Ed25519',
    x,
    kid: ed25519Thumbprint(x),
    alg: 'EdDSA',
    use: 'sig',
    ...(retiresAt === null ? {} : { exp: Math.floor(retiresAt.getTime() / 1000) }),
  };
}
