import {
  assertAllowsMovement,
  checkCreditLevel,
  type Clock,
  type CryptoAsset,
  DomainRuleError,
  type FiatCurrency,
  formatAmount,
  nextId,
  NotFoundError,
  overdraftMinor,
  parseAmount,
  parseFiatCurrency,
  parseId,
  type PostingKind,
  type RandomSource,
  type ShopperAccountId,
  type ShopperAccountStatus,
  ShopperBalanceNotZeroError,
  type ShopperBalanceReason,
  ShopperCurrencyMismatchError,
  type ShopperCreditLevelChangedEvent,
  shopperBalance,
  shopperBalanceFromLedger,
  spendableMinor,
  splitCredit,
  UnauthenticatedError,
  ValidationError,
} from '@coinstile/core';
import { type Database, OutboxRepository, SHOPPER_ACCOUNT_COLUMNS as ACCOUNT_COLUMNS, shopperAccountFromRow as accountFromRow, type ShopperAccountRecord, shopperBalanceMinor } from '@coinstile/platform';
import { sql } from 'kysely';
import type { CheckoutService } from '../checkouts/checkout-service';
import type { CheckoutAccountLink } from '../checkouts/checkout-writer';
import type { CheckoutView } from '../checkouts/checkout-view';
import { accessCodeMatches, hashAccessCode, newAccessCode } from './access-code';

/** An account as the API shows it; amounts are decimal strings in the account's currency. */
export interface ShopperAccountView {
  readonly id: string;
  readonly label: string;
  readonly currency: string;
  readonly status: ShopperAccountStatus;
  /** Signed: negative while the overdraft is in use. */
  readonly balance: string;
  readonly creditLevel: string;
  /** Balance plus the allowed overdraft: what a checkout can take from it now. */
  readonly spendable: string;
  readonly overdraft: string;
  readonly topUpStoreId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** One movement of the balance, newest first. */
export interface BalanceHistoryItem {
  readonly postingId: string;
  readonly reason: ShopperBalanceReason;
  /** Signed from the shopper's side: positive credits the balance. */
  readonly amount: string;
  /** The balance right after this movement. */
  readonly balanceAfter: string;
  /** The part of a credit that paid back the overdraft (credits repay it first); "0" for spends. */
  readonly overdraftRepaid: string;
  readonly checkoutId: string | null;
  readonly occurredAt: string;
}

export interface BalanceHistoryPage {
  readonly data: BalanceHistoryItem[];
  readonly nextCursor: string | null;
}

/** The account has no top-up store: the operator has not set where its top-ups are paid. 422. */
export class TopUpUnavailableError extends DomainRuleError {
  readonly code = 'top_up_unavailable';
  constructor(accountId: string) {
    super(`Shopper account ${accountId} has no top-up store set by the operator`, { accountId });
  }
}

const REASON_OF_KIND: Partial<Record<PostingKind, ShopperBalanceReason>> = {
  shopper_overpayment_credit: 'over_payment',
  shopper_top_up: 'top_up',
  shopper_balance_hold: 'checkout_spend',
  shopper_balance_hold_release: 'spend_returned',
  shopper_refund_credit: 'refund',
};

/** Only the shopper posting kinds touch a shopper balance account; anything else is a bug in a posting builder. */
function reasonOf(kind: PostingKind): ShopperBalanceReason {
  const reason = REASON_OF_KIND[kind];
  if (reason === undefined) throw new Error(`Posting kind ${kind} on a shopper balance account`);
  return reason;
}

const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;

function pageLimit(limit: string | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE;
  const n = Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw new ValidationError(`limit must be 1 to ${MAX_PAGE}`, { field: 'limit' });
  return n;
}

function parseCursor(cursor: string | undefined): bigint | undefined {
  if (cursor === undefined) return undefined;
  if (!/^[1-9][0-9]{0,18}$/.test(cursor)) throw new ValidationError('Malformed cursor', { field: 'cursor' }, 'invalid_cursor');
  return BigInt(cursor);
}

export interface ShopperAccountServiceOptions {
  readonly db: Database;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly checkouts: CheckoutService;
}

/**
 * Shopper accounts: the operator creates them (the access code is shown once), sets credit levels and
 * statuses; the shopper reads balance and history and starts top-ups with the access code.
 */
export class ShopperAccountService {
  readonly #outbox: OutboxRepository;

  constructor(private readonly options: ShopperAccountServiceOptions) {
    this.#outbox = new OutboxRepository(options.db);
  }

  async create(input: { currency: string; creditLevel?: string | undefined; label?: string | undefined; topUpStoreId?: string | undefined }): Promise<{ account: ShopperAccountView; accessCode: string }> {
    const currency = parseFiatCurrency(input.currency);
    const creditLevelMinor = input.creditLevel === undefined ? 0n : this.#creditLevel(input.creditLevel, currency);
    let topUpStoreId: string | null = null;
    if (input.topUpStoreId !== undefined) {
      topUpStoreId = parseId('st', input.topUpStoreId);
      const store = await this.options.db.kysely.selectFrom('stores').select('id').where('id', '=', topUpStoreId).executeTakeFirst();
      if (!store) throw new NotFoundError('store', topUpStoreId);
    }
    const accessCode = newAccessCode(this.options.random);
    const now = this.options.clock.now();
    const row = await this.options.db.kysely
      .insertInto('shopper_accounts')
      .values({
        id: nextId('acct', this.options.clock, this.options.random),
        label: input.label ?? '',
        currency,
        credit_level_minor: creditLevelMinor.toString(),
        access_code_hash: hashAccessCode(accessCode),
        top_up_store_id: topUpStoreId,
        created_at: now,
        updated_at: now,
      })
      .returning(ACCOUNT_COLUMNS)
      .executeTakeFirstOrThrow();
    return { account: view(accountFromRow(row), 0n), accessCode };
  }

  async get(idText: string): Promise<ShopperAccountView> {
    const account = await this.#find(parseId('acct', idText));
    return view(account, await shopperBalanceMinor(this.options.db.kysely, account.id, account.currency));
  }

  async list(query: { cursor?: string | undefined; limit?: string | undefined }): Promise<{ data: ShopperAccountView[]; nextCursor: string | null }> {
    const limit = pageLimit(query.limit);
    let q = this.options.db.kysely.selectFrom('shopper_accounts').select(ACCOUNT_COLUMNS).orderBy('id', 'desc').limit(limit + 1);
    if (query.cursor !== undefined) q = q.where('id', '<', parseId('acct', query.cursor));
    const rows = await q.execute();
    const page = rows.slice(0, limit).map(accountFromRow);
    const balances = await this.#balances(page.map((a) => a.id));
    return {
      data: page.map((a) => view(a, balances.get(`${a.id}:${a.currency}`) ?? 0n)),
      nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
    };
  }

  /** Sets the allowed overdraft. A level below the overdraft in use is allowed: it only stops further spends. */
  async setCreditLevel(idText: string, creditLevelText: string): Promise<ShopperAccountView> {
    const id = parseId('acct', idText);
    return this.options.db.transaction(async (trx) => {
      const row = await trx.selectFrom('shopper_accounts').select(ACCOUNT_COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!row) throw new NotFoundError('shopper_account', id);
      const before = accountFromRow(row);
      const creditLevelMinor = this.#creditLevel(creditLevelText, before.currency);
      const now = this.options.clock.now();
      const updated = await trx
        .updateTable('shopper_accounts')
        .set({ credit_level_minor: creditLevelMinor.toString(), updated_at: now })
        .where('id', '=', id)
        .returning(ACCOUNT_COLUMNS)
        .executeTakeFirstOrThrow();
      if (creditLevelMinor !== before.creditLevelMinor) {
        const event: ShopperCreditLevelChangedEvent = {
          type: 'shopper.credit_level_changed',
          accountId: id,
          currency: before.currency,
          previousCreditLevelMinor: before.creditLevelMinor,
          creditLevelMinor,
          occurredAt: now,
        };
        await this.#outbox.append(trx, [
          { eventId: `shopper.credit_level_changed:${id}:${now.getTime()}:${creditLevelMinor}`, eventType: event.type, aggregateType: 'shopper_account', aggregateId: id, payload: event },
        ]);
      }
      return view(accountFromRow(updated), await shopperBalanceMinor(trx, id, before.currency));
    });
  }

  /** `active` ⇄ `frozen`, or `closed` (final; only at a zero balance). */
  async setStatus(idText: string, status: ShopperAccountStatus): Promise<ShopperAccountView> {
    const id = parseId('acct', idText);
    return this.options.db.transaction(async (trx) => {
      const row = await trx.selectFrom('shopper_accounts').select(ACCOUNT_COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!row) throw new NotFoundError('shopper_account', id);
      const account = accountFromRow(row);
      const balanceMinor = await shopperBalanceMinor(trx, id, account.currency);
      if (account.status === 'closed' && status !== 'closed') throw new ShopperAccountClosedError(id);
      if (status === 'closed' && balanceMinor !== 0n) throw new ShopperBalanceNotZeroError(id, balanceMinor);
      const updated = await trx.updateTable('shopper_accounts').set({ status, updated_at: this.options.clock.now() }).where('id', '=', id).returning(ACCOUNT_COLUMNS).executeTakeFirstOrThrow();
      return view(accountFromRow(updated), balanceMinor);
    });
  }

  /** The operator's view of the balance's movements, newest first. */
  async history(idText: string, query: { cursor?: string | undefined; limit?: string | undefined }): Promise<BalanceHistoryPage> {
    const account = await this.#find(parseId('acct', idText));
    return this.#history(account, query);
  }

  /** The shopper's statement: the account and its latest movements, for the right access code only. */
  async statement(idText: string, accessCode: string, query: { cursor?: string | undefined; limit?: string | undefined }): Promise<ShopperAccountView & { history: BalanceHistoryPage }> {
    const account = await this.authenticate(idText, accessCode);
    const balanceMinor = await shopperBalanceMinor(this.options.db.kysely, account.id, account.currency);
    return { ...view(account, balanceMinor), history: await this.#history(account, query) };
  }

  /**
   * A crypto checkout of `amount` (the account's currency) at the account's top-up store, linked to the
   * account as its top-up: once settled, its value is credited to the balance (overdraft repaid first).
   */
  async createTopUp(idText: string, accessCode: string, input: { amount: string; asset?: CryptoAsset | undefined }): Promise<CheckoutView> {
    const account = await this.authenticate(idText, accessCode);
    assertAllowsMovement(account, 'credit');
    if (account.topUpStoreId === null) throw new TopUpUnavailableError(account.id);
    const priceMinor = parseAmount(input.amount, account.currency);
    if (priceMinor <= 0n) throw new ValidationError('amount must be positive', { field: 'amount' }, 'invalid_amount');
    const orderId = `top-up:${account.id}:${nextId('evt', this.options.clock, this.options.random)}`;
    const created = await this.options.checkouts.create(
      parseId('st', account.topUpStoreId),
      { orderId, amount: input.amount, currency: account.currency, ...(input.asset !== undefined ? { asset: input.asset } : {}), metadata: { shopperAccountId: account.id, purpose: 'top_up' } },
      undefined,
      { shopperAccountId: account.id, purpose: 'top_up' },
    );
    return created.body;
  }

  /**
   * Pays part (or all) of checkout `checkoutIdText` from the balance, as a `balance` tender: the spendable
   * amount (balance plus credit level) up to what is still due; the rest stays due in crypto. Refused
   * (422 `insufficient_balance`) when nothing is spendable; concurrent spends of one account serialise on
   * its row lock, so none goes past the credit level.
   */
  async payCheckout(idText: string, accessCode: string, checkoutIdText: string): Promise<{ paidMinor: bigint; checkout: CheckoutView }> {
    const account = await this.authenticate(idText, accessCode);
    const checkoutId = parseId('co', checkoutIdText);
    const applied = await this.options.checkouts.tenders.apply({ checkoutId, kind: 'balance', sourceId: account.id, now: this.options.clock.now() });
    return { paidMinor: applied.tender.amountMinor, checkout: await this.options.checkouts.getForShopper(checkoutId) };
  }

  /** The account `idText` when `accessCode` is its code; otherwise one 401 for a wrong code and an unknown account alike. */
  async authenticate(idText: string, accessCode: string): Promise<ShopperAccountRecord> {
    const id = parseId('acct', idText);
    const row = await this.options.db.kysely.selectFrom('shopper_accounts').select([...ACCOUNT_COLUMNS, 'access_code_hash']).where('id', '=', id).executeTakeFirst();
    // An unknown account is compared against a hash no code has, so both cases take the same time.
    const matches = accessCodeMatches(accessCode, row?.access_code_hash ?? '0'.repeat(64));
    if (!row || !matches) throw new UnauthenticatedError('The shopper account or its access code is not valid');
    return accountFromRow(row);
  }

  /** The link a sale checkout stores for `shopperAccountId` (over-payments credited there). */
  async linkForSale(shopperAccountId: string, currency: FiatCurrency): Promise<CheckoutAccountLink> {
    const account = await this.#find(parseId('acct', shopperAccountId));
    assertAllowsMovement(account, 'credit');
    if (account.currency !== currency) throw new ShopperCurrencyMismatchError(account.id, account.currency, currency);
    return { shopperAccountId: account.id, purpose: 'sale' };
  }

  async #find(id: ShopperAccountId): Promise<ShopperAccountRecord> {
    const row = await this.options.db.kysely.selectFrom('shopper_accounts').select(ACCOUNT_COLUMNS).where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('shopper_account', id);
    return accountFromRow(row);
  }

  async #balances(ids: readonly ShopperAccountId[]): Promise<Map<string, bigint>> {
    if (ids.length === 0) return new Map();
    const rows = await this.options.db.kysely
      .selectFrom('ledger_entries')
      .select(['account', 'currency', (eb) => eb.fn.sum<string>('amount').as('total')])
      .where('account', 'in', ids.map(shopperBalance))
      .groupBy(['account', 'currency'])
      .execute();
    return new Map(rows.map((r) => [`${r.account.split(':')[1]}:${r.currency}`, -BigInt(r.total)]));
  }

  async #history(account: ShopperAccountRecord, query: { cursor?: string | undefined; limit?: string | undefined }): Promise<BalanceHistoryPage> {
    const limit = pageLimit(query.limit);
    const cursor = parseCursor(query.cursor);
    let q = this.options.db.kysely
      .selectFrom('ledger_entries')
      .innerJoin('ledger_postings', 'ledger_postings.id', 'ledger_entries.posting_id')
      .select([
        'ledger_entries.id as entryId',
        'ledger_entries.amount',
        'ledger_postings.id as postingId',
        'ledger_postings.kind',
        'ledger_postings.checkout_id',
        'ledger_postings.occurred_at',
        // The running balance after each movement, in the same statement (one snapshot) as the page.
        sql<string>`(SELECT coalesce(sum(x.amount), 0) FROM ledger_entries x WHERE x.account = ledger_entries.account AND x.currency = ledger_entries.currency AND x.id <= ledger_entries.id)::text`.as(
          'ledgerBalanceAfter',
        ),
      ])
      .where('ledger_entries.account', '=', shopperBalance(account.id))
      .where('ledger_entries.currency', '=', account.currency)
      .orderBy('ledger_entries.id', 'desc')
      .limit(limit + 1);
    if (cursor !== undefined) q = q.where('ledger_entries.id', '<', cursor.toString());
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    return {
      data: page.map((r) => {
        const amountMinor = -BigInt(r.amount);
        const balanceAfterMinor = shopperBalanceFromLedger(BigInt(r.ledgerBalanceAfter));
        // A credit repays the overdraft first; only the rest added to the balance.
        const repaid = amountMinor > 0n ? splitCredit(balanceAfterMinor - amountMinor, amountMinor).repaysOverdraftMinor : 0n;
        return {
          postingId: r.postingId,
          reason: reasonOf(r.kind),
          amount: formatAmount(amountMinor, account.currency),
          balanceAfter: formatAmount(balanceAfterMinor, account.currency),
          overdraftRepaid: formatAmount(repaid, account.currency),
          checkoutId: r.checkout_id,
          occurredAt: r.occurred_at.toISOString(),
        };
      }),
      nextCursor: rows.length > limit ? String(page[page.length - 1]?.entryId ?? '') || null : null,
    };
  }

  #creditLevel(text: string, currency: FiatCurrency): bigint {
    try {
      return checkCreditLevel(parseAmount(text, currency));
    } catch (err) {
      if (err instanceof ValidationError && err.code !== 'invalid_credit_level') throw new ValidationError(`creditLevel: ${err.message}`, { field: 'creditLevel' }, err.code);
      throw err;
    }
  }
}

/** A closed account cannot be reopened. 422 `shopper_account_closed`. */
export class ShopperAccountClosedError extends DomainRuleError {
  readonly code = 'shopper_account_closed';
  constructor(accountId: string) {
    super(`Shopper account ${accountId} is closed`, { accountId });
  }
}

function view(account: ShopperAccountRecord, balanceMinor: bigint): ShopperAccountView {
  const c = account.currency;
  return {
    id: account.id,
    label: account.label,
    currency: c,
    status: account.status,
    balance: formatAmount(balanceMinor, c),
    creditLevel: formatAmount(account.creditLevelMinor, c),
    spendable: formatAmount(account.status === 'active' ? spendableMinor(balanceMinor, account.creditLevelMinor) : 0n, c),
    overdraft: formatAmount(overdraftMinor(balanceMinor), c),
    topUpStoreId: account.topUpStoreId,
    createdAt: account.createdAt.toISOString(),
    updatedAt: account.updatedAt.toISOString(),
  };
}
