import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '@coinstile/core';
import { z } from 'zod';
import type { Quote } from './quote';

/** The quote fields a token vouches for. Amounts are decimal strings, times ms since the epoch. */
export interface QuoteTokenClaims {
  readonly id: string;
  readonly storeId: string;
  readonly asset: string;
  readonly currency: string;
  readonly priceMinor: string;
  readonly amountDueBase: string;
  readonly rate: string;
  readonly spreadBps: number;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
}

const claimsSchema = z.strictObject({
  id: z.string(),
  storeId: z.string(),
  asset: z.string(),
  currency: z.string(),
  priceMinor: z.string().regex(/^[0-9]+$/),
  amountDueBase: z.string().regex(/^[0-9]+$/),
  rate: z.string(),
  spreadBps: z.number().int(),
  createdAtMs: z.number().int(),
  expiresAtMs: z.number().int(),
});

/** A quote token that is malformed or whose signature does not verify. 400 `invalid_quote_token`. */
export class InvalidQuoteTokenError extends ValidationError {
  constructor(reason: 'malformed' | 'bad_signature') {
    super(`Invalid quote token (${reason})`, { reason }, 'invalid_quote_token');
  }
}

const VERSION = 'qt1';

/**
 * Signs quotes as compact tokens, `qt1.<base64url JSON claims>.<base64url HMAC-SHA256>`, the MAC taken
 * over `qt1.<claims>` with a key only Coinstile holds. The claims are serialized in one fixed field
 * order, so the same quote always yields the same token and anyone holding the key can verify it.
 */
export class QuoteTokenSigner {
  private readonly key: KeyObject;

  /** `key`: at least 32 bytes of secret (a string is taken as UTF-8). */
  constructor(key: string | Buffer) {
    const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
    if (bytes.length < 32) throw new RangeError('The quote signing key must be at least 32 bytes');
    // A KeyObject is imported once instead of on every MAC.
    this.key = createSecretKey(bytes);
  }

  sign(quote: Quote): string {
    const claims: QuoteTokenClaims = {
      id: quote.id,
      storeId: quote.storeId,
      asset: quote.asset,
      currency: quote.currency,
      priceMinor: quote.priceMinor.toString(),
      amountDueBase: quote.amountDueBase.toString(),
      rate: quote.rate,
      spreadBps: quote.spreadBps,
      createdAtMs: quote.createdAt.getTime(),
      expiresAtMs: quote.expiresAt.getTime(),
    };
    const payload = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
    return `${VERSION}.${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The claims of a token this key signed; `InvalidQuoteTokenError` otherwise. Expiry is the caller's check. */
  verify(token: string): QuoteTokenClaims {
    const parts = token.split('.');
    const [version, payload, signature] = parts;
    if (parts.length !== 3 || version !== VERSION || !payload || !signature) throw new InvalidQuoteTokenError('malformed');
    const expected = this.mac(payload);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidQuoteTokenError('bad_signature');
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw new InvalidQuoteTokenError('malformed');
    }
    const claims = claimsSchema.safeParse(parsed);
    if (!claims.success) throw new InvalidQuoteTokenError('malformed');
    return claims.data;
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(`${VERSION}.${payload}`).digest();
  }
}
