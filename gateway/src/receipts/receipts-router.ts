import { NotFoundError, parseId } from '@coinstile/core';
import { Router } from 'express';
import { requireStoreScope } from '../auth/principal';

/** A JSON Web Key Set holding public keys only (what `ReceiptKeyStore.publishedKeys` returns). */
export interface PublishedKeySet {
  readonly keys: readonly object[];
}

/** A stored receipt (what `storedReceipt` of `@coinstile/merchant-payouts` returns). */
export interface StoredReceiptView {
  readonly id: string;
  readonly checkoutId: string;
  readonly storeId: string;
  readonly kid: string;
  readonly jws: string;
  readonly issuedAt: Date;
}

export interface ReceiptsRouterDeps {
  /** Every public key not yet retired: served at `/.well-known/jwks.json`. */
  readonly publishedKeys: () => Promise<PublishedKeySet>;
}

export interface ReceiptsApiRouterDeps {
  /** The stored receipt of a checkout, or undefined when none was issued. */
  readonly receiptOf: (checkoutId: string) => Promise<StoredReceiptView | undefined>;
}

/**
 * Public: `GET /.well-known/jwks.json`, the keys stores verify receipts with. Cached briefly by clients
 * and proxies; a rotation shows within that time, and old keys stay listed until retired anyway.
 */
export function createReceiptsRouter(deps: ReceiptsRouterDeps): Router {
  const router = Router();
  router.get('/.well-known/jwks.json', async (_req, res) => {
    const jwks = await deps.publishedKeys();
    res.set('Cache-Control', 'public, max-age=300').type('application/json').send(JSON.stringify({ keys: jwks.keys }));
  });
  return router;
}

/**
 * Authenticated (mount after `/v1` authentication): `GET /v1/checkouts/{id}/receipt` → the checkout's
 * signed receipt, as the checkout routes do it: a store key with `checkouts:read`, its own checkouts only
 * (another store's is a 404).
 */
export function createReceiptsApiRouter(deps: ReceiptsApiRouterDeps): Router {
  const router = Router();
  router.get('/v1/checkouts/:id/receipt', async (req, res) => {
    const { storeId } = requireStoreScope(res, 'checkouts:read');
    const checkoutId = parseId('co', req.params['id']);
    const receipt = await deps.receiptOf(checkoutId);
    if (receipt === undefined || receipt.storeId !== storeId) throw new NotFoundError('receipt', checkoutId);
    res.json({ id: receipt.id, checkoutId: receipt.checkoutId, storeId: receipt.storeId, kid: receipt.kid, jws: receipt.jws, issuedAt: receipt.issuedAt.toISOString() });
  });
  return router;
}
