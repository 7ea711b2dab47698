import type { Checkout } from '@coinstile/core';
import type { Quote } from '@coinstile/fx-oracle';
import { type CheckoutDetails, type CheckoutsTable, type Database, jsonText } from '@coinstile/platform';
import type { Insertable } from 'kysely';
import { sql } from 'kysely';
import { quoteRow } from './deferred-quote-repository';
import { GroupCommit } from './group-commit';

/** The response an idempotent request stores with its checkout, for replays. */
export interface IdempotentResponse {
  readonly scope: string;
  readonly key: string;
  readonly status: number;
  readonly body: unknown;
}

interface NewCheckout {
  readonly checkout: Checkout;
  readonly details: CheckoutDetails;
  readonly response: IdempotentResponse | undefined;
  /** The locked quote the checkout takes, not stored yet (see `DeferredQuoteRepository`). */
  readonly quote: Quote | undefined;
  readonly link: CheckoutAccountLink | undefined;
}

/** A checkout's shopper account (`gateway/src/shopper-accounts`): a sale whose over-payment it gets, or its top-up. */
export interface CheckoutAccountLink {
  readonly shopperAccountId: string;
  readonly purpose: 'sale' | 'top_up';
}

/**
 * Writes new checkouts, grouped: the checkouts created within one turn of the event loop go in as one
 * multi-row INSERT, and the same statement stores their locked quotes and the responses of their
 * `Idempotency-Key`s (data-modifying CTEs), so a checkout, its quote and its replayable response commit
 * together or not at all.
 */
export class CheckoutWriter {
  private readonly group: GroupCommit<NewCheckout, void>;

  constructor(private readonly db: Database) {
    this.group = new GroupCommit(
      async (batch) => {
        await this.write(batch);
        return batch.map(() => undefined);
      },
      (one) => this.write([one]),
    );
  }

  insert(checkout: Checkout, details: CheckoutDetails, response: IdempotentResponse | undefined, quote: Quote | undefined, link?: CheckoutAccountLink): Promise<void> {
    return this.group.submit({ checkout, details, response, quote, link });
  }

  private async write(batch: readonly NewCheckout[]): Promise<void> {
    const checkouts = this.db.kysely.insertInto('checkouts').values(batch.map((entry) => toRow(entry.checkout, entry.details, entry.link)));
    const quotes = batch.flatMap((entry) => (entry.quote ? [quoteRow(entry.quote)] : []));
    const responses = batch.flatMap((entry) => (entry.response ? [entry.response] : []));
    // Data-modifying CTEs always run to completion, whatever the main statement reads from them; the
    // foreign key from a checkout to its quote is checked at the end of the statement, when both exist.
    const withQuotes = quotes.length === 0 ? sql`` : sql`quoted AS (${this.db.kysely.insertInto('quotes').values(quotes)}),`;
    if (responses.length === 0) {
      if (quotes.length === 0) await checkouts.execute();
      else await sql`WITH ${withQuotes} inserted AS (${checkouts.returning('id')}) SELECT 1`.execute(this.db.kysely);
      return;
    }
    await sql`
      WITH ${withQuotes} inserted AS (${checkouts.returning('id')})
      UPDATE idempotency_keys AS k
         SET response_status = v.status, response_body = v.body::jsonb, completed_at = now()
        FROM (VALUES ${sql.join(
          responses.map((r) => sql`(${r.scope}, ${r.key}, ${r.status}::int, ${jsonText(r.body)})`),
        )}) AS v(scope, key, status, body)
       WHERE k.scope = v.scope AND k.key = v.key AND k.response_status IS NULL`.execute(this.db.kysely);
  }
}

function toRow(c: Checkout, d: CheckoutDetails, link: CheckoutAccountLink | undefined): Insertable<CheckoutsTable> {
  return {
    id: c.id,
    store_id: c.storeId,
    order_id: c.orderId,
    price_minor: c.priceMinor.toString(),
    currency: c.currency,
    assets_offered: [...d.assetsOffered],
    asset: c.asset,
    address: c.address,
    derivation_index: d.derivationIndex === null ? null : String(d.derivationIndex),
    amount_due_base: c.amountDueBase === null ? null : c.amountDueBase.toString(),
    quote_id: c.quoteId,
    rate: c.rate,
    quote_expires_at: c.quoteExpiresAt,
    status: c.status,
    exception: c.exception,
    invalid_reason: c.invalidReason,
    amount_paid_base: c.amountPaidBase.toString(),
    counted_payment_ids: [...c.countedPaymentIds],
    reversed_payment_ids: [...c.reversedPaymentIds],
    escrow: d.escrow,
    metadata: jsonText(d.metadata),
    items: jsonText(d.items),
    version: c.version,
    created_at: c.createdAt,
    expires_at: c.expiresAt,
    monitoring_until: c.monitoringUntil,
    settled_at: c.settledAt,
    shopper_account_id: link?.shopperAccountId ?? null,
    purpose: link?.purpose ?? 'sale',
  };
}
