import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock, EscrowHoldId, RefundId } from '@coinstile/core';
import { InvalidEscrowLinkError } from './escrow-errors';

/** What a signed link lets its holder do: confirm receipt or dispute one hold, or give the address of one refund. */
export type EscrowLinkClaims = { readonly purpose: 'accept'; readonly holdId: EscrowHoldId } | { readonly purpose: 'refund'; readonly refundId: RefundId };

/** Links stay valid this long by default: past any acceptance window a store may set (90 days). */
export const DEFAULT_LINK_TTL_MS = 120 * 86_400_000;

/**
 * HMAC-SHA256 signed, expiring links for the shopper's pages (`/accept/{token}`, `/refunds/{token}`): the
 * token is `base64url(JSON claims with exp).base64url(mac)`. It names one hold or one refund and nothing
 * else, so a leaked link exposes that order's page only. The secret is the installation's (shared by
 * every gateway replica).
 */
export class EscrowLinkSigner {
  constructor(
    private readonly secret: Buffer,
    private readonly publicUrl: string,
    private readonly clock: Clock,
    private readonly ttlMs = DEFAULT_LINK_TTL_MS,
  ) {
    if (secret.length < 32) throw new RangeError('escrow link secret must be at least 32 bytes');
  }

  token(claims: EscrowLinkClaims): string {
    const body = Buffer.from(JSON.stringify({ ...claims, exp: this.clock.now().getTime() + this.ttlMs }), 'utf8').toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  acceptUrl(holdId: EscrowHoldId): string {
    return `${this.publicUrl}/accept/${this.token({ purpose: 'accept', holdId })}`;
  }

  refundUrl(refundId: RefundId): string {
    return `${this.publicUrl}/refunds/${this.token({ purpose: 'refund', refundId })}`;
  }

  /** The claims of a token this installation signed and that has not expired; `InvalidEscrowLinkError` otherwise. */
  verify<P extends EscrowLinkClaims['purpose']>(token: string, purpose: P): Extract<EscrowLinkClaims, { purpose: P }> {
    const match = /^([A-Za-z0-9_-]{1,1000})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (match === null) throw new InvalidEscrowLinkError('malformed');
    const [, body, mac] = match as unknown as [string, string, string];
    const expected = Buffer.from(this.#mac(body), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidEscrowLinkError('bad_signature');
    let claims: { purpose?: unknown; holdId?: unknown; refundId?: unknown; exp?: unknown };
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      throw new InvalidEscrowLinkError('malformed');
    }
    if (typeof claims.exp !== 'number' || claims.exp <= this.clock.now().getTime()) throw new InvalidEscrowLinkError('expired');
    if (claims.purpose !== purpose) throw new InvalidEscrowLinkError('wrong_purpose');
    const id = purpose === 'accept' ? claims.holdId : claims.refundId;
    if (typeof id !== 'string') throw new InvalidEscrowLinkError('malformed');
    return (purpose === 'accept' ? { purpose, holdId: id } : { purpose, refundId: id }) as Extract<EscrowLinkClaims, { purpose: P }>;
  }

  #mac(body: string): string {
    return createHmac('sha256', this.secret).update(`coinstile-escrow-link.${body}`).digest('base64url');
  }
}
