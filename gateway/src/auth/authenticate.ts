import { UnauthenticatedError } from '@coinstile/core';
import type { RequestHandler } from 'express';
import type { RateLimiter } from '../rate-limit/rate-limiter';
import type { CarrierKeyService } from '../escrow/carrier-keys';
import type { ApiKeyService } from './api-keys';
import type { OperatorAuthenticator } from './operator-auth';
import { setPrincipal } from './principal';

export interface AuthenticateOptions {
  readonly apiKeys: ApiKeyService;
  readonly operator: OperatorAuthenticator;
  readonly limiter: RateLimiter;
  /** Carrier keys (`csc_…`); absent: no carrier can authenticate. */
  readonly carrierKeys?: CarrierKeyService;
}

const BEARER = /^Bearer ([\x21-\x7e]{1,200})$/;

/**
 * `Authorization: Bearer <operator token | store API key>` → `res.locals.principal`, then the caller's
 * request budget (per key, per operator token). Failed attempts count against the client IP, so guessing
 * keys is rate limited too. Missing or unknown credentials → 401.
 */
export function authenticate(options: AuthenticateOptions): RequestHandler {
  return async (req, res, next) => {
    const match = BEARER.exec(req.get('authorization') ?? '');
    const presented = match?.[1];
    if (presented === undefined) {
      await options.limiter.consume('ip', req.ip ?? 'unknown');
      throw new UnauthenticatedError('Send "Authorization: Bearer <API key or operator token>"');
    }
    const identity = presented.startsWith('csk_') ? await options.apiKeys.verify(presented) : null;
    if (identity) {
      await options.limiter.consume('key', identity.keyId);
      setPrincipal(req, res, { kind: 'store', storeId: identity.storeId, keyId: identity.keyId, scopes: identity.scopes });
      next();
      return;
    }
    const carrier = presented.startsWith('csc_') ? await options.carrierKeys?.verify(presented) : null;
    if (carrier) {
      await options.limiter.consume('key', carrier.keyId);
      setPrincipal(req, res, { kind: 'carrier', carrierId: carrier.carrierId, keyId: carrier.keyId, scopes: carrier.scopes });
      next();
      return;
    }
    const tokenId = identity === null && !presented.startsWith('csk_') && !presented.startsWith('csc_') ? await options.operator.verify(presented) : null;
    if (tokenId !== null) {
      await options.limiter.consume('operator', tokenId);
      setPrincipal(req, res, { kind: 'operator', tokenId });
      next();
      return;
    }
    await options.limiter.consume('ip', req.ip ?? 'unknown');
    throw new UnauthenticatedError('The API key or operator token is not valid');
  };
}
