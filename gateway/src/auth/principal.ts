import { type CarrierId, ForbiddenError, type StoreId, UnauthenticatedError } from '@coinstile/core';
import type { Request, Response } from 'express';
import type { CarrierScope } from '../escrow/carrier-keys';
import type { ApiKeyScope } from '../http/schemas';

/** Who is calling: the mall operator, a store through one of its API keys, or a registered carrier through its key. */
export type Principal =
  | { readonly kind: 'operator'; readonly tokenId: string }
  | { readonly kind: 'store'; readonly storeId: StoreId; readonly keyId: string; readonly scopes: ReadonlySet<ApiKeyScope> }
  | { readonly kind: 'carrier'; readonly carrierId: CarrierId; readonly keyId: string; readonly scopes: ReadonlySet<CarrierScope> };

const byRequest = new WeakMap<Request, Principal>();

export function setPrincipal(req: Request, res: Response, principal: Principal): void {
  res.locals.principal = principal;
  byRequest.set(req, principal);
}

/** The principal of an authenticated request, for callbacks that only see the request (the FX router's). */
export function principalOfRequest(req: Request): Principal | undefined {
  return byRequest.get(req);
}

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new UnauthenticatedError();
  return principal;
}

/** The operator, or 403 for a store key (operators onboard stores; stores cannot). */
export function requireOperator(res: Response): Extract<Principal, { kind: 'operator' }> {
  const principal = principalOf(res);
  switch (principal.kind) {
    case 'operator':
      return principal;
    case 'store':
    case 'carrier':
      throw new ForbiddenError('This endpoint needs the operator token', { required: 'operator' });
  }
}

/** The calling store, or 403 when the key lacks `scope` (or when the operator calls a store endpoint). */
export function requireStoreScope(res: Response, scope: ApiKeyScope): Extract<Principal, { kind: 'store' }> {
  const principal = principalOf(res);
  switch (principal.kind) {
    case 'operator':
    case 'carrier':
      throw new ForbiddenError('This endpoint needs a store API key', { required: scope });
    case 'store':
      if (!principal.scopes.has(scope)) throw new ForbiddenError(`This API key lacks the ${scope} scope`, { required: scope });
      return principal;
  }
}

/** The calling carrier, or 403 for anyone else (stores and the operator do not report deliveries). */
export function requireCarrierScope(res: Response, scope: CarrierScope): Extract<Principal, { kind: 'carrier' }> {
  const principal = principalOf(res);
  switch (principal.kind) {
    case 'operator':
    case 'store':
      throw new ForbiddenError('This endpoint needs a carrier API key', { required: scope });
    case 'carrier':
      if (!principal.scopes.has(scope)) throw new ForbiddenError(`This API key lacks the ${scope} scope`, { required: scope });
      return principal;
  }
}
