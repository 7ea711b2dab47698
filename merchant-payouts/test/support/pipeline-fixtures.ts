import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createCheckout,
  DEFAULT_STORE_POLICY,
  evaluate,
  ID_RANDOM_BYTES,
  makeId,
  parseFiatCurrency,
  type CheckoutId,
  type Id,
  type IdPrefix,
  type PaymentId,
  type StoreId,
  type StorePolicy,
} from '@coinstile/core';
import { CheckoutRepository, PaymentRepository, type Database } from '@coinstile/platform';
import { payoutScheduleJson, type PayoutSchedule } from '../../src';

export function newId<P extends IdPrefix>(prefix: P): Id<P> {
  return makeId(prefix, Date.now(), randomBytes(ID_RANDOM_BYTES));
}

export interface StoreSetup {
  readonly currency?: string;
  readonly feeBps?: number;
  readonly feeFixedMinor?: bigint;
  readonly schedule?: PayoutSchedule;
}

/** An active store selling in `currency` (default JPY) with the given fee and payout schedule. */
export async function insertStore(db: Database, setup: StoreSetup = {}): Promise<StoreId> {
  const id = newId('st');
  await db.kysely
    .withTables<{ stores: { payout_schedule: string } }>()
    .insertInto('stores')
    .values({
      id,
      name: 'Kobe Tea House',
      status: 'active',
      payout_currency: setup.currency ?? 'JPY',
      payout_account: JSON.stringify({ iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', holderName: 'Kobe Tea House KK' }),
      fee_bps: setup.feeBps ?? 150,
      fee_fixed_minor: (setup.feeFixedMinor ?? 10n).toString(),
      payout_schedule: JSON.stringify(payoutScheduleJson(setup.schedule ?? { kind: 'instant' })),
    })
    .execute();
  return id;
}

export interface SettleOptions {
  readonly currency?: string;
  readonly priceMinor?: bigint;
  readonly asset?: 'BTC' | 'LTC' | 'ETH';
  readonly escrow?: boolean;
  readonly spreadBps?: number;
}

const POLICY: StorePolicy = { ...DEFAULT_STORE_POLICY, speedPolicy: 'medium_speed' };

/**
 * A checkout taken to `settled` exactly as the wallet verifier does it: created with a locked quote, a
 * confirmed payment recorded, then core's `evaluate` written with compare-and-set, which appends
 * `checkout.settled` to the outbox in the same transaction. Returns the checkout id.
 */
export async function settleCheckout(db: Database, storeId: StoreId, opts: SettleOptions = {}): Promise<CheckoutId> {
  const now = new Date();
  const asset = opts.asset ?? 'BTC';
  const currency = parseFiatCurrency(opts.currency ?? 'JPY');
  const priceMinor = opts.priceMinor ?? 4980n;
  const amountDueBase = 55_313n + BigInt(Math.floor(Math.random() * 1000));
  const quoteId = newId('qt');
  const checkouts = new CheckoutRepository(db);
  const payments = new PaymentRepository(db);
  return db.transaction(async (trx) => {
    await trx
      .insertInto('quotes')
      .values({
        id: quoteId,
        store_id: storeId,
        base_asset: asset,
        quote_currency: currency,
        rate: '9003412',
        spread_bps: opts.spreadBps ?? 50,
        sources: JSON.stringify([{ source: 'static', rate: '9048656' }]),
        amount_due_base: amountDueBase.toString(),
        price_minor: priceMinor.toString(),
        created_at: now,
        expires_at: new Date(now.getTime() + 15 * 60_000),
      })
      .execute();
    const checkout = createCheckout({
      id: newId('co'),
      storeId,
      orderId: `A-${randomBytes(4).toString('hex')}`,
      priceMinor,
      currency,
      createdAt: now,
      policy: POLICY,
      payment: {
        asset,
        address: `addr_${randomBytes(12).toString('hex')}`,
        quote: { id: quoteId, asset, currency, priceMinor, rate: '9003412', amountDueBase, expiresAt: new Date(now.getTime() + 15 * 60_000) },
      },
    });
    await checkouts.insert(checkout, { escrow: opts.escrow ?? false, items: [{ sku: 'TEA-1', quantity: 2 }] }, [], trx);
    const payment = await payments.record(
      {
        id: newId('pay') as PaymentId,
        checkoutId: checkout.id,
        asset,
        txid: randomBytes(32).toString('hex'),
        outputIndex: 0,
        amountBase: amountDueBase,
        confirmations: 6,
        rbfSignalled: false,
        firstSeenAt: now,
        state: 'confirmed',
        blockHash: randomBytes(32).toString('hex'),
        blockHeight: 100,
      },
      now,
      trx,
    );
    const { next, events } = evaluate(checkout, [payment], now, POLICY);
    if (next.status !== 'settled') throw new Error(`fixture checkout did not settle (${next.status})`);
    if (!(await checkouts.compareAndSet(next, checkout.version, events, trx))) throw new Error('fixture compare-and-set lost');
    return checkout.id;
  });
}

/** Settles `count` checkouts, `parallel` at a time. */
export async function settleMany(db: Database, storeIds: readonly StoreId[], count: number, parallel = 8, opts: SettleOptions = {}): Promise<CheckoutId[]> {
  const ids: CheckoutId[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        ids.push(await settleCheckout(db, storeIds[i % storeIds.length]!, opts));
      }
    }),
  );
  return ids;
}

export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  readonly receivedAt: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** Decides each answer (default 200). Return 'hang' to never answer. */
  respond: (hook: ReceivedWebhook) => number | 'hang';
  close(): Promise<void>;
}

/** A store's webhook endpoint: node:http on 127.0.0.1, recording every request. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const receiver: { respond: WebhookReceiver['respond'] } = { respond: () => 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hook = { headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() };
      received.push(hook);
      const answer = receiver.respond(hook);
      if (answer === 'hang') return;
      res.writeHead(answer, { 'Content-Type': 'text/plain' }).end(answer >= 400 ? `failure ${'x'.repeat(3000)}` : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hooks/coinstile`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
