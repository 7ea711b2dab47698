import { sign, verify, type KeyObject } from 'node:crypto';
import { MalformedReceiptError } from './receipt-errors';

/** A compact JWS split into its parts; `signingInput` is what the signature covers. */
export interface ParsedCompactJws {
  readonly header: Record<string, unknown>;
  readonly payload: Uint8Array;
  readonly signingInput: string;
  readonly signature: Uint8Array;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** RFC 7515 compact serialization signed with EdDSA (Ed25519 signatures are deterministic). */
export function signCompactJws(header: Record<string, unknown>, payload: Uint8Array, privateKey: KeyObject): string {
  const signingInput = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  const signature = sign(null, Buffer.from(signingInput, 'ascii'), privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** Splits and decodes a compact JWS; throws `MalformedReceiptError` when it is not one. */
export function parseCompactJws(text: string): ParsedCompactJws {
  const parts = text.trim().split('.');
  if (parts.length !== 3 || parts.some((p) => p.length === 0 || !BASE64URL.test(p))) {
    throw new MalformedReceiptError('not a compact JWS (three non-empty base64url parts separated by dots)');
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
  } catch {
    throw new MalformedReceiptError('the JWS header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new MalformedReceiptError('the JWS header is not a JSON object');
  return {
    header: header as Record<string, unknown>,
    payload: Buffer.from(payloadPart, 'base64url'),
    signingInput: `${headerPart}.${payloadPart}`,
    signature: Buffer.from(signaturePart, 'base64url'),
  };
}

/** True when `signature` is `publicKey`'s Ed25519 signature of `signingInput`. */
export function verifyEd25519(signingInput: string, signature: Uint8Array, publicKey: KeyObject): boolean {
  return verify(null, Buffer.from(signingInput, 'ascii'), publicKey, signature);
}
