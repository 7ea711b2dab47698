import { type FiatCurrency, formatAmount } from '@coinstile/core';
import { Router } from 'express';
import { requireOperator } from '../auth/principal';
import { validate } from '../http/validate';
import type { RateLimiter } from '../rate-limit/rate-limiter';
import {
  createShopperAccountSchema,
  createTopUpSchema,
  payCheckoutSchema,
  listShopperAccountsQuerySchema,
  setCreditLevelSchema,
  setShopperAccountStatusSchema,
  shopperStatementSchema,
} from './shopper-account-schemas';
import type { ShopperAccountService } from './shopper-account-service';

/**
 * Operator routes (mount after `/v1` authentication): create accounts (the access code comes back once),
 * list and read them, set credit levels and statuses, read a balance's history.
 */
export function createShopperAccountsRouter(accounts: ShopperAccountService): Router {
  const router = Router();
  router.post('/v1/shopper-accounts', async (req, res) => {
    requireOperator(res);
    const body = validate(createShopperAccountSchema, req.body, 'body');
    const { account, accessCode } = await accounts.create(body);
    res.status(201).json({ ...account, accessCode });
  });
  router.get('/v1/shopper-accounts', async (req, res) => {
    requireOperator(res);
    res.json(await accounts.list(validate(listShopperAccountsQuerySchema, req.query, 'query')));
  });
  router.get('/v1/shopper-accounts/:id', async (req, res) => {
    requireOperator(res);
    res.json(await accounts.get(req.params['id'] ?? ''));
  });
  router.get('/v1/shopper-accounts/:id/history', async (req, res) => {
    requireOperator(res);
    const query = validate(listShopperAccountsQuerySchema, req.query, 'query');
    res.json(await accounts.history(req.params['id'] ?? '', query));
  });
  router.patch('/v1/shopper-accounts/:id/credit-level', async (req, res) => {
    requireOperator(res);
    const body = validate(setCreditLevelSchema, req.body, 'body');
    res.json(await accounts.setCreditLevel(req.params['id'] ?? '', body.creditLevel));
  });
  router.patch('/v1/shopper-accounts/:id/status', async (req, res) => {
    requireOperator(res);
    const body = validate(setShopperAccountStatusSchema, req.body, 'body');
    res.json(await accounts.setStatus(req.params['id'] ?? '', body.status));
  });
  return router;
}

/**
 * The shopper's routes, public (mount before `/v1` authentication): the access code in the body (never
 * in the URL, which logs and proxies keep), every request spends the client IP's budget first, so
 * guessing codes is rate limited as every failed credential is.
 */
export function createShopperAccountsPublicRouter(accounts: ShopperAccountService, limiter: RateLimiter): Router {
  const router = Router();
  router.post('/v1/shopper-accounts/:id/statement', async (req, res) => {
    await limiter.consume('ip', req.ip ?? 'unknown');
    const body = validate(shopperStatementSchema, req.body, 'body');
    const { accessCode, ...page } = body;
    res.set('Cache-Control', 'no-store').json(await accounts.statement(req.params['id'] ?? '', accessCode, page));
  });
  router.post('/v1/shopper-accounts/:id/top-ups', async (req, res) => {
    await limiter.consume('ip', req.ip ?? 'unknown');
    const body = validate(createTopUpSchema, req.body, 'body');
    res.status(201).json(await accounts.createTopUp(req.params['id'] ?? '', body.accessCode, { amount: body.amount, asset: body.asset }));
  });
  router.post('/v1/shopper-accounts/:id/payments', async (req, res) => {
    await limiter.consume('ip', req.ip ?? 'unknown');
    const body = validate(payCheckoutSchema, req.body, 'body');
    const { paidMinor, checkout } = await accounts.payCheckout(req.params['id'] ?? '', body.accessCode, body.checkoutId);
    res.json({ paid: formatAmount(paidMinor, checkout.currency as FiatCurrency), checkout });
  });
  return router;
}
