import { CRYPTO_ASSETS, formatAmount, isDomainError, type EscrowHoldId } from '@coinstile/core';
import type { EscrowHoldView, Refund, RefundAddressChecks } from '@coinstile/merchant-payouts';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, Router } from 'express';
import type { RateService } from '@coinstile/fx-oracle';
import type { Config } from '@coinstile/platform';
import { parseAddress } from '@coinstile/wallet-verifier';
import type { Logger } from 'pino';
import { html, type SafeHtml } from '../pages/html';
import type { GatewayEscrow } from './gateway-escrow';

/** No scripts, no styles, forms to this origin only: these pages only show text and post forms. */
export const SHOPPER_PAGE_CSP = "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export interface ShopperEscrowPagesDeps {
  readonly escrow: GatewayEscrow;
  /** Checks and prices a refund address (address validation per asset, the current rate). */
  readonly refundChecks: RefundAddressChecks;
  /** `PUBLIC_URL`: form posts must come from this origin (or the host the request was addressed to). */
  readonly publicUrl: string;
  /** Per-IP request budget, first on every route. */
  readonly ipLimit: RequestHandler;
  readonly logger: Logger;
}

class CrossOriginPostError extends Error {
  override readonly name = 'CrossOriginPostError';
}

const FORM_LIMIT = '4kb';

/**
 * The shopper's signed-link pages (server-rendered, no script):
 * - `GET /accept/{token}`: the order's escrow; confirm receipt (`POST …/confirm`) when the shopper or gift
 *   recipient inspects, or open a dispute with a reason (`POST …/dispute`) until the acceptance deadline;
 * - `GET /refunds/{token}`: a refund owed; the shopper submits the address to send it to (`POST`), checked
 *   for the order's asset and network; then the page shows the amount, and the txid once sent.
 * The token (HMAC-signed, expiring) is the capability; posts must come from this origin.
 */
export function shopperEscrowPagesRouter(deps: ShopperEscrowPagesDeps): Router {
  const router = Router();
  const escrow = deps.escrow.service;
  const allowedOrigins = new Set([new URL(deps.publicUrl).origin]);
  const form = express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 5 });
  const sameOrigin = requireSameOrigin(allowedOrigins);
  router.use(['/accept', '/refunds'], deps.ipLimit);

  router.get('/accept/:token', async (req, res) => {
    const { holdId } = deps.escrow.links.verify(String(req.params['token']), 'accept');
    sendPage(res, 200, acceptPage(await escrow.getHold(holdId), req.path));
  });

  router.post('/accept/:token/confirm', sameOrigin, form, async (req, res) => {
    const { holdId } = deps.escrow.links.verify(String(req.params['token']), 'accept');
    await escrow.confirmReceipt(holdId);
    res.redirect(303, `/accept/${String(req.params['token'])}`);
  });

  router.post('/accept/:token/dispute', sameOrigin, form, async (req, res) => {
    const { holdId } = deps.escrow.links.verify(String(req.params['token']), 'accept');
    const reason = (req.body as Record<string, unknown> | undefined)?.['reason'];
    await escrow.openDispute(holdId as EscrowHoldId, typeof reason === 'string' ? reason : '');
    res.redirect(303, `/accept/${String(req.params['token'])}`);
  });

  router.get('/refunds/:token', async (req, res) => {
    const { refundId } = deps.escrow.links.verify(String(req.params['token']), 'refund');
    sendPage(res, 200, refundPage(await escrow.getRefund(refundId), req.path));
  });

  router.post('/refunds/:token', sameOrigin, form, async (req, res) => {
    const { refundId } = deps.escrow.links.verify(String(req.params['token']), 'refund');
    const address = (req.body as Record<string, unknown> | undefined)?.['address'];
    await escrow.submitRefundAddress(refundId, typeof address === 'string' ? address : '', deps.refundChecks);
    res.redirect(303, `/refunds/${String(req.params['token'])}`);
  });

  router.use(['/accept', '/refunds'], pageErrors(deps.logger));
  return router;
}

function acceptPage(hold: EscrowHoldView, selfPath: string): SafeHtml {
  const open = hold.status === 'reserved' || hold.status === 'shipped' || hold.status === 'delivered';
  const deadline = hold.acceptanceDeadline === null ? null : hold.acceptanceDeadline.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  return shell(
    `Order ${hold.orderId}`,
    html`<h1>Order ${hold.orderId}</h1>
<p>Amount paid: ${formatAmount(hold.priceMinor, hold.currency)} ${hold.currency}. The store is paid once the goods are accepted.</p>
<p>Status: <strong>${STATUS_TEXT[hold.status]}</strong>${deadline !== null && open ? html` — accepted automatically at ${deadline} unless you report a problem first.` : ''}</p>
${
  open && hold.inspection !== 'carrier'
    ? html`<form method="post" action="${selfPath}/confirm"><p><button type="submit">I received the goods in good order</button></p></form>`
    : ''
}
${open && hold.inspection === 'carrier' ? html`<p>The carrier's delivery report counts as acceptance for this order.</p>` : ''}
${
  open
    ? html`<form method="post" action="${selfPath}/dispute">
<p><label for="reason">Something is wrong (missing, damaged, not as described):</label></p>
<p><textarea id="reason" name="reason" rows="4" cols="50" maxlength="2000" required></textarea></p>
<p><button type="submit">Open a dispute</button></p></form>`
    : ''
}`,
  );
}

const STATUS_TEXT: Readonly<Record<EscrowHoldView['status'], string>> = {
  reserved: 'paid, waiting for the store to ship',
  shipped: 'shipped',
  delivered: 'delivered',
  accepted: 'accepted — the store will be paid',
  disputed: 'disputed — the mall operator will decide',
  resolved: 'dispute resolved',
  cancelled: 'cancelled by the store — you will be refunded',
};

function refundPage(refund: Refund, selfPath: string): SafeHtml {
  const fiat = `${formatAmount(refund.refundMinor, refund.currency)} ${refund.currency}`;
  switch (refund.status) {
    case 'awaiting_address':
      return shell(
        'Your refund',
        html`<h1>Your refund of ${fiat}</h1>
<p>It is paid in ${refund.asset} at the ${refund.ratePolicy === 'sale' ? "sale's" : 'current'} exchange rate. Enter the ${refund.asset} address to send it to.</p>
<form method="post" action="${selfPath}"><p><label for="address">${refund.asset} address</label></p>
<p><input id="address" name="address" size="64" maxlength="100" required autocomplete="off" spellcheck="false"></p>
<p><button type="submit">Send my refund here</button></p></form>`,
      );
    case 'ready':
    case 'sent':
      return shell(
        'Your refund',
        html`<h1>Your refund of ${fiat}</h1>
<p>${formatAmount(refund.amountBase ?? 0n, refund.asset)} ${refund.asset} to <code>${refund.address ?? ''}</code>.</p>
<p>${refund.status === 'sent' ? html`Sent in transaction <code>${refund.txid ?? ''}</code>.` : 'It will be sent shortly.'}</p>`,
      );
    case 'credited':
      return shell('Your refund', html`<h1>Your refund of ${fiat}</h1>
<p>It was credited to your Coinstile balance (account <code>${refund.shopperAccountId ?? ''}</code>): nothing more to do.</p>`);
  }
}

function shell(title: string, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${title}</title></head>
<body><main>${body}</main></body></html>`;
}

function sendPage(res: Response, status: number, page: SafeHtml): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': SHOPPER_PAGE_CSP,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    })
    .send(page.toString());
}

/** Same rule as the hosted checkout page: `Sec-Fetch-Site: same-origin`, else an `Origin` of this installation. */
function requireSameOrigin(allowedOrigins: ReadonlySet<string>): RequestHandler {
  return (req: Request, _res, next) => {
    const site = req.get('sec-fetch-site');
    if (site !== undefined) {
      next(site === 'same-origin' ? undefined : new CrossOriginPostError());
      return;
    }
    const origin = req.get('origin');
    const own = `${req.protocol}://${req.get('host') ?? ''}`;
    next(origin !== undefined && (allowedOrigins.has(origin) || origin === own) ? undefined : new CrossOriginPostError());
  };
}

/** Failures answer as a page with the reason (the API's message), never JSON or a stack trace. */
function pageErrors(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const page = (status: number, message: string): void => sendPage(res, status, shell('Not possible', html`<h1>Not possible</h1><p>${message}</p>`));
    if (err instanceof CrossOriginPostError) return page(403, 'This form must be sent from its own page.');
    if (isDomainError(err) && err.httpStatus < 500) return page(err.httpStatus, err.message);
    const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 400 && status < 500) return page(status, 'The request could not be read.');
    logger.error({ err, method: req.method, path: req.path }, 'escrow page failed');
    return page(500, 'Something went wrong. Please try again later.');
  };
}

/** Refund address checks on this installation's networks, and its FX rates for stores refunding at the current rate. */
export function refundChecksFor(config: Pick<Config, 'btcNetwork' | 'ltcNetwork'>, rates: Pick<RateService, 'rate'>): RefundAddressChecks {
  return {
    validateAddress: (asset, address) => {
      const chain = CRYPTO_ASSETS[asset].chain;
      parseAddress(chain, chain === 'bitcoin' ? config.btcNetwork : chain === 'litecoin' ? config.ltcNetwork : 'mainnet', address);
    },
    currentRate: async (asset, currency) => (await rates.rate({ base: asset, quote: currency })).rate,
  };
}
