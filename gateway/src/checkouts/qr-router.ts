import { NotFoundError } from '@coinstile/core';
import { paymentQrSvg } from '@coinstile/wallet-verifier';
import { type RequestHandler, Router } from 'express';
import type { CheckoutService } from './checkout-service';

const MAX_CACHED = 2_000;

/**
 * `GET /v1/checkouts/{id}/qr.svg`: the QR code of a checkout's payment URI, public like the hosted page
 * (the unguessable checkout id is the capability), so an `<img>` can show it. Rendered on first request
 * and kept per URI, so a requote gets a new image.
 */
export function qrRouter(checkouts: CheckoutService, ipLimit: RequestHandler): Router {
  const router = Router();
  const cache = new Map<string, Promise<string>>();
  router.get('/v1/checkouts/:id/qr.svg', ipLimit, async (req, res) => {
    const id = String(req.params['id']);
    const view = await checkouts.getForShopper(id);
    if (view.payment === null) throw new NotFoundError('payment_qr', id);
    const uri = view.payment.uri;
    let svg = cache.get(uri);
    if (!svg) {
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
      svg = paymentQrSvg(uri);
      cache.set(uri, svg);
      svg.catch(() => cache.delete(uri));
    }
    res.type('image/svg+xml').setHeader('Cache-Control', 'no-cache').send(await svg);
  });
  return router;
}
