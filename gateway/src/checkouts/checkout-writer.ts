import type { Checkout } from '@coinstile/core';
import type { Quote } from '@coinstile/fx-oracle';
import { type CheckoutDetails, type CheckoutsTable, type Database, type JsonValue, toJsonValue } from '@coinstile/platform';
import { type RawBuilder, sql } from 'kysely';
import { QUOTE_COLUMNS, quoteRow } from './deferred-quote-repository';
import { GroupCommit } from './group-commit';

/** The `Idempotency-Key` a checkout is written with, and the response its replays get. */
export type IdempotentResponse =
  /** The key's first use: claimed by the checkout's own statement, already complete, if no one holds it. */
  | {
      readonly kind: 'claim';
      readonly scope: string;
      readonly key: string;
      readonly requestHash: string;
      readonly claimedAt: Date;
      readonly status: number;
      /** The response body as the JSON text the client is sent, stored as it is. */
      readonly bodyJson: string;
    }
  /** The key is already this request's (it took over an abandoned claim): the response is stored with the checkout. */
  | { readonly kind: 'complete'; readonly scope: string; readonly key: string; readonly status: number; readonly bodyJson: string };

/**
 * What became of a checkout given to the writer. `written`: it, its quote and its response committed.
 * `key_in_use`: nothing was written because its key (`claim`) already existed or was claimed by an earlier
 * checkout of the same batch; its address was stored nowhere. `key_in_use_after_error`: the same answer,
 * but from a retry after the batch's statement failed, which may have committed this very checkout: its
 * address may be stored.
 */
export type CheckoutWriteOutcome = 'written' | 'key_in_use' | 'key_in_use_after_error';

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

/** The columns of `checkouts` a new checkout's statement writes (the others take their defaults). */
const CHECKOUT_COLUMNS = [
  'id',
  'store_id',
  'order_id',
  'price_minor',
  'currency',
  'assets_offered',
  'asset',
  'address',
  'derivation_index',
  'amount_due_base',
  'quote_id',
  'rate',
  'quote_expires_at',
  'status',
  'exception',
  'invalid_reason',
  'amount_paid_base',
  'counted_payment_ids',
  'reversed_payment_ids',
  'escrow',
  'metadata',
  'items',
  'version',
  'created_at',
  'expires_at',
  'monitoring_until',
  'settled_at',
  'shopper_account_id',
  'purpose',
] as const satisfies readonly (keyof CheckoutsTable)[];

/**
 * Writes new checkouts, grouped: the checkouts created within one turn of the event loop go in as ONE
 * statement, which also claims their `Idempotency-Key`s (inserted already complete with the response,
 * `ON CONFLICT DO NOTHING`), stores their locked quotes, and writes only the checkouts that have no key
 * or won theirs (data-modifying CTEs), so a checkout, its quote and its replayable response commit
 * together or not at all, and a key is answered by at most one checkout.
 */
export class CheckoutWriter {
  private readonly group: GroupCommit<NewCheckout, CheckoutWriteOutcome>;

  constructor(private readonly db: Database) {
    this.group = new GroupCommit(
      (batch) => this.write(batch, false),
      async (one, afterBatchError) => (await this.write([one], afterBatchError))[0]!,
    );
  }

  insert(
    checkout: Checkout,
    details: CheckoutDetails,
    response: IdempotentResponse | undefined,
    quote: Quote | undefined,
    link?: CheckoutAccountLink,
  ): Promise<CheckoutWriteOutcome> {
    return this.group.submit({ checkout, details, response, quote, link });
  }

  private async write(batch: readonly NewCheckout[], afterBatchError: boolean): Promise<CheckoutWriteOutcome[]> {
    // Each response body goes in as the very JSON text the client is sent: serialized once, not parsed back.
    const claims = batch.flatMap((entry, i) =>
      entry.response?.kind === 'claim'
        ? [
            withBody(
              {
                i,
                checkout_id: entry.checkout.id,
                scope: entry.response.scope,
                key: entry.response.key,
                request_hash: entry.response.requestHash,
                created_at: entry.response.claimedAt,
                status: entry.response.status,
              },
              entry.response.bodyJson,
            ),
          ]
        : [],
    );
    const completions = batch.flatMap((entry) =>
      entry.response?.kind === 'complete'
        ? [withBody({ scope: entry.response.scope, key: entry.response.key, status: entry.response.status }, entry.response.bodyJson)]
        : [],
    );
    const quotes = batch.flatMap((entry) => (entry.quote ? [quoteRow(entry.quote)] : []));
    const checkouts = batch.map((entry) => checkoutRow(entry.checkout, entry.details, entry.link));

    // The rows travel as JSON documents (one parameter each, however big the batch). Data-modifying CTEs
    // all run to completion whatever the main query reads; the foreign key from a checkout to its quote
    // is checked at the end of the statement, when both exist.
    const claimCtes = claims.length === 0 ? sql`` : sql`
      claim_request AS (
        SELECT * FROM jsonb_to_recordset(${`[${claims.join(',')}]`}::jsonb)
          AS r(i int, checkout_id text, scope text, key text, request_hash text, created_at timestamptz, status int, body jsonb)
      ),
      first_of_key AS (SELECT DISTINCT ON (scope, key) * FROM claim_request ORDER BY scope, key, i),
      claimed AS (
        INSERT INTO idempotency_keys (scope, key, request_hash, created_at, response_status, response_body, completed_at)
        SELECT scope, key, request_hash, created_at, status, body, now() FROM first_of_key ORDER BY scope, key
        ON CONFLICT (scope, key) DO NOTHING
        RETURNING scope, key
      ),
      not_written AS (
        SELECT r.checkout_id FROM claim_request r
         WHERE NOT EXISTS (SELECT 1 FROM first_of_key f JOIN claimed c ON c.scope = f.scope AND c.key = f.key WHERE f.i = r.i)
      ),`;
    const completionCte = completions.length === 0 ? sql`` : sql`
      completed AS (
        UPDATE idempotency_keys AS k
           SET response_status = v.status, response_body = v.body, completed_at = now()
          FROM jsonb_to_recordset(${`[${completions.join(',')}]`}::jsonb) AS v(scope text, key text, status int, body jsonb)
         WHERE k.scope = v.scope AND k.key = v.key AND k.response_status IS NULL
      ),`;
    const onlyWinners = claims.length === 0 ? sql`` : sql`WHERE c.id NOT IN (SELECT checkout_id FROM not_written)`;
    const quoteCte = quotes.length === 0 ? sql`` : sql`,
      quoted AS (
        INSERT INTO quotes (${columns(QUOTE_COLUMNS)})
        SELECT ${columns(QUOTE_COLUMNS, 'q')} FROM jsonb_populate_recordset(NULL::quotes, ${JSON.stringify(quotes)}::jsonb) AS q
         WHERE q.id IN (SELECT quote_id FROM inserted)
      )`;
    const statement = sql<{ checkout_id: string }>`
      WITH ${claimCtes} ${completionCte}
      inserted AS (
        INSERT INTO checkouts (${columns(CHECKOUT_COLUMNS)})
        SELECT ${columns(CHECKOUT_COLUMNS, 'c')} FROM jsonb_populate_recordset(NULL::checkouts, ${JSON.stringify(checkouts)}::jsonb) AS c
        ${onlyWinners}
        RETURNING id, quote_id
      )${quoteCte}
      ${claims.length === 0 ? sql`SELECT NULL::text AS checkout_id WHERE false` : sql`SELECT checkout_id FROM not_written`}`.compile(this.db.kysely);
    // One text per combination of the optional parts (at most eight): parsed and planned once per connection.
    this.db.prepareOnce(statement.sql);
    const result = await this.db.kysely.executeQuery(statement);
    const notWritten = new Set(result.rows.map((row) => row.checkout_id));
    return batch.map((entry) => (!notWritten.has(entry.checkout.id) ? 'written' : afterBatchError ? 'key_in_use_after_error' : 'key_in_use'));
  }
}

/** `fields` as a JSON object with one more member, `body`, whose value is the JSON text `bodyJson`. */
function withBody(fields: Record<string, string | number | Date>, bodyJson: string): string {
  return `${JSON.stringify(fields).slice(0, -1)},"body":${bodyJson}}`;
}

function columns(names: readonly string[], table?: string): RawBuilder<unknown> {
  return sql.join(names.map((name) => sql.ref(table === undefined ? name : `${table}.${name}`)));
}

/** The `checkouts` row as a JSON object for `jsonb_populate_recordset` (Dates become ISO-8601 strings). */
function checkoutRow(c: Checkout, d: CheckoutDetails, link: CheckoutAccountLink | undefined): Record<(typeof CHECKOUT_COLUMNS)[number], JsonValue | Date> {
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
    metadata: toJsonValue(d.metadata),
    items: toJsonValue(d.items),
    version: c.version,
    created_at: c.createdAt,
    expires_at: c.expiresAt,
    monitoring_until: c.monitoringUntil,
    settled_at: c.settledAt,
    shopper_account_id: link?.shopperAccountId ?? null,
    purpose: link?.purpose ?? 'sale',
  };
}
