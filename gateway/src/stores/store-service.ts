import {
  type Clock,
  ConflictError,
  CRYPTO_ASSET_CODES,
  CRYPTO_ASSETS,
  type CryptoAsset,
  DEFAULT_ESCROW_POLICY,
  DEFAULT_STORE_POLICY,
  DomainRuleError,
  type FiatCurrency,
  nextId,
  NotFoundError,
  parseAmount,
  parseFiatCurrency,
  parseId,
  type RandomSource,
  type StoreId,
  validateStorePolicy,
  ValidationError,
} from '@coinstile/core';
import { type Config, type Database, type DB, jsonText, type StoresTable } from '@coinstile/platform';
import { DEFAULT_PAYOUT_TERMS, mergePayoutTerms, type PayoutTermsInput, payoutTermsColumns, payoutTermsOf } from './payout-terms';
import { type ChainNetwork, parseReceivingWallet, type ReceivingWallet } from '@coinstile/wallet-verifier';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { RateRules } from '@coinstile/fx-oracle';
import type { CreateStoreRequest, StorePolicyInput } from '../http/schemas';
import { parsePayoutAccount, type PayoutAccount } from '../payout-accounts';
import { DEFAULT_SPREAD_BPS, type GatewayStorePolicy, policyFromJson, policyToJson, type Store, type StoredPolicyJson, type StoreStatus } from './store';

/** The mall has not configured what an asset needs (e.g. `USDC_CONTRACT`). 422 `asset_not_configured`. */
export class AssetNotConfiguredError extends DomainRuleError {
  readonly code = 'asset_not_configured';
  constructor(
    readonly asset: CryptoAsset,
    readonly missing: string,
  ) {
    super(`${asset} cannot be accepted: ${missing} is not configured on this Coinstile`, { asset, missing });
  }
}

/** The receiving wallet already belongs to another store. 409 `wallet_in_use`. */
export class WalletInUseError extends ConflictError {
  constructor(readonly asset: CryptoAsset) {
    super(`The ${asset} wallet is already used by another store; each store needs its own key`, { asset, field: `wallets.${asset}` }, 'wallet_in_use');
  }
}

/** A status change the store's current status does not allow. 409 `invalid_store_transition`. */
export class StoreTransitionError extends ConflictError {
  constructor(storeId: string, from: StoreStatus, to: StoreStatus) {
    super(`Store ${storeId} is ${from} and cannot become ${to}`, { storeId, from, to }, 'invalid_store_transition');
  }
}

export interface StorePage {
  readonly data: Store[];
  readonly nextCursor: string | null;
}

export interface StoreServiceOptions {
  readonly db: Database;
  readonly config: Pick<Config, 'btcNetwork' | 'ltcNetwork' | 'usdcContract' | 'fxSources'>;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** How long the checkout path serves a store from memory; a change made here clears it at once. Default 5 s. */
  readonly cacheTtlMs?: number;
}

/**
 * Stores, as the mall operator onboards and manages them. The checkout path reads stores through
 * `getCached` (parsed wallets and policy kept for a few seconds), so creating a checkout costs no store read.
 */
export class StoreService {
  readonly #cache = new Map<string, { store: Promise<Store | null>; expiresAtMs: number }>();
  readonly #cacheTtlMs: number;

  constructor(private readonly options: StoreServiceOptions) {
    this.#cacheTtlMs = options.cacheTtlMs ?? 5_000;
  }

  async create(request: CreateStoreRequest): Promise<Store> {
    const payoutCurrency = parseFiatCurrency(request.payoutCurrency);
    const payoutAccount = parsePayoutAccount(request.payoutAccount);
    const wallets = this.parseWallets(request.wallets);
    const policy = this.checkRateSources(mergePolicy(defaultPolicy(), request.policy ?? {}));
    const terms = mergePayoutTerms(DEFAULT_PAYOUT_TERMS, request.payoutTerms ?? {}, payoutCurrency);
    const id = nextId('st', this.options.clock, this.options.random);
    const now = this.options.clock.now();
    const row = await this.options.db.transaction(async (trx) => {
      // One store at a time checks and claims wallets, so two stores can never share one.
      await sql`SELECT pg_advisory_xact_lock(hashtext('coinstile.store_wallets'))`.execute(trx);
      await this.refuseWalletsInUse(trx, wallets);
      return trx
        .insertInto('stores')
        .values({
          id,
          name: request.name,
          payout_currency: payoutCurrency,
          payout_account: jsonText(payoutAccount),
          wallets: jsonText(wallets),
          policy: jsonText(policyToJson(policy)),
          ...payoutTermsColumns(terms),
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    return toStore(row);
  }

  /** The store, or `NotFoundError`; `idText` is validated as a store id (400 otherwise). */
  async get(idText: string): Promise<Store> {
    const id = parseId('st', idText);
    const row = await this.options.db.kysely.selectFrom('stores').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('store', id);
    return toStore(row);
  }

  /** The store as the checkout path sees it: from memory for a few seconds. */
  getCached(id: StoreId): Promise<Store | null> {
    const nowMs = this.options.clock.now().getTime();
    const cached = this.#cache.get(id);
    if (cached && cached.expiresAtMs > nowMs) return cached.store;
    const store = this.options.db.kysely
      .selectFrom('stores')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
      .then((row) => (row ? toStore(row) : null));
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(id, { store, expiresAtMs: nowMs + this.#cacheTtlMs });
    store.catch(() => this.#cache.delete(id));
    return store;
  }

  async list(limit = 20, cursor?: string): Promise<StorePage> {
    let q = this.options.db.kysely.selectFrom('stores').selectAll();
    if (cursor !== undefined) q = q.where('id', '<', decodeCursor(cursor));
    const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { data: page.map(toStore), nextCursor: rows.length > limit && last ? Buffer.from(last.id).toString('base64url') : null };
  }

  /** Replaces the fields given in `input`, keeping the others. */
  async updatePolicy(idText: string, input: StorePolicyInput): Promise<Store> {
    const current = await this.get(idText);
    const policy = this.checkRateSources(mergePolicy(current.policy, input));
    return this.update(current.id, { policy: jsonText(policyToJson(policy)) });
  }

  /** Replaces the given fields of the store's payout terms (the mall's fee, the payout schedule). */
  async updatePayoutTerms(idText: string, input: PayoutTermsInput): Promise<Store> {
    const current = await this.get(idText);
    return this.update(current.id, payoutTermsColumns(mergePayoutTerms(current.payoutTerms, input, current.payoutCurrency)));
  }

  /** `pending_verification` (or `suspended`) → `active`; already active is left as it is. */
  async verify(idText: string): Promise<Store> {
    const current = await this.get(idText);
    switch (current.status) {
      case 'active':
        return current;
      case 'pending_verification':
      case 'suspended':
        return this.update(current.id, { status: 'active' }, current.status);
    }
  }

  /** Any status → `suspended`: open checkouts stay payable, no new checkout opens. */
  async suspend(idText: string): Promise<Store> {
    const current = await this.get(idText);
    switch (current.status) {
      case 'suspended':
        return current;
      case 'pending_verification':
      case 'active':
        return this.update(current.id, { status: 'suspended' }, current.status);
    }
  }

  /**
   * A store may only name rate sources this installation runs (`FX_SOURCES`): a source that is never
   * refreshed would silently price nothing.
   */
  private checkRateSources(policy: GatewayStorePolicy): GatewayStorePolicy {
    for (const field of ['fxPreferredSources', 'fxFallbackSources'] as const) {
      const unknown = (policy[field] ?? []).filter((name) => !this.options.config.fxSources.includes(name));
      if (unknown.length > 0) {
        throw new ValidationError(
          `policy.${field}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not among the configured rate sources (${this.options.config.fxSources.join(', ')})`,
          { field: `policy.${field}`, configured: this.options.config.fxSources, unknown },
        );
      }
    }
    return policy;
  }

  /** The FX rules of a store (spread, preferred and fallback sources), for the quote service. */
  async rateRulesOf(storeId: string): Promise<RateRules> {
    const policy = (await this.getCached(storeId as StoreId))?.policy;
    return {
      spreadBps: policy?.spreadBps ?? DEFAULT_SPREAD_BPS,
      ...(policy?.fxPreferredSources ? { preferredSources: policy.fxPreferredSources } : {}),
      ...(policy?.fxFallbackSources ? { fallbackSources: policy.fxFallbackSources } : {}),
    };
  }

  private async update(
    id: StoreId,
    changes: { status?: StoreStatus; policy?: string } | ReturnType<typeof payoutTermsColumns>,
    expectedStatus?: StoreStatus,
  ): Promise<Store> {
    let q = this.options.db.kysely
      .updateTable('stores')
      .set({ ...changes, updated_at: this.options.clock.now() })
      .where('id', '=', id);
    if (expectedStatus !== undefined) q = q.where('status', '=', expectedStatus);
    const row = await q.returningAll().executeTakeFirst();
    this.#cache.delete(id);
    if (!row) {
      const now = await this.get(id);
      throw new StoreTransitionError(id, now.status, ('status' in changes ? changes.status : undefined) ?? now.status);
    }
    return toStore(row);
  }

  /**
   * Two stores receiving on one key would get the same addresses, and a payment could not be told apart:
   * a key already used on the same chain (ETH and USDC share Ethereum's) by another store is refused.
   */
  private async refuseWalletsInUse(trx: Kysely<DB>, wallets: Partial<Record<CryptoAsset, ReceivingWallet>>): Promise<void> {
    for (const [asset, wallet] of Object.entries(wallets) as [CryptoAsset, ReceivingWallet][]) {
      const sameChain = CRYPTO_ASSET_CODES.filter((other) => CRYPTO_ASSETS[other].chain === CRYPTO_ASSETS[asset].chain);
      const probe = { extendedPublicKey: wallet.extendedPublicKey, chainPath: wallet.chainPath };
      const taken = await trx
        .selectFrom('stores')
        .select('id')
        .where((eb) => eb.or(sameChain.map((other) => eb(sql`wallets -> ${other}`, '@>', sql`${JSON.stringify(probe)}::jsonb`))))
        .executeTakeFirst();
      if (taken) throw new WalletInUseError(asset);
    }
  }

  private parseWallets(input: CreateStoreRequest['wallets']): Partial<Record<CryptoAsset, ReceivingWallet>> {
    const wallets: Partial<Record<CryptoAsset, ReceivingWallet>> = {};
    for (const [assetText, given] of Object.entries(input)) {
      if (given === undefined) continue;
      const asset = assetText as CryptoAsset;
      const text = 'xpub' in given ? given.xpub : given.descriptor;
      if (asset === 'USDC' && this.options.config.usdcContract === undefined) throw new AssetNotConfiguredError('USDC', 'USDC_CONTRACT');
      try {
        wallets[asset] = parseReceivingWallet(asset, this.networkOf(asset), text);
      } catch (err) {
        if (err instanceof ValidationError) {
          // Point at the field; the wallet errors never echo the submitted key.
          throw new ValidationError(`wallets.${asset}: ${err.message}`, { field: `wallets.${asset}`, reason: err.details }, err.code);
        }
        throw err;
      }
    }
    // Address indexes are counted per asset, so one key for two assets of the same chain (ETH and USDC)
    // would give both the same addresses and a payment could not be told apart.
    const given = Object.entries(wallets) as [CryptoAsset, ReceivingWallet][];
    for (const [i, [asset, wallet]] of given.entries()) {
      const twin = given
        .slice(i + 1)
        .find(
          ([other, w]) =>
            CRYPTO_ASSETS[other].chain === CRYPTO_ASSETS[asset].chain &&
            w.extendedPublicKey === wallet.extendedPublicKey &&
            w.chainPath.join('/') === wallet.chainPath.join('/'),
        );
      if (twin) {
        throw new ValidationError(
          `wallets.${twin[0]}: ${asset} and ${twin[0]} need different keys: on one chain, one key would give both the same addresses`,
          { field: `wallets.${twin[0]}`, sameAs: `wallets.${asset}` },
          'wallet_shared_between_assets',
        );
      }
    }
    return wallets;
  }

  private networkOf(asset: CryptoAsset): ChainNetwork {
    switch (CRYPTO_ASSETS[asset].chain) {
      case 'bitcoin':
        return this.options.config.btcNetwork;
      case 'litecoin':
        return this.options.config.ltcNetwork;
      case 'ethereum':
        // Ethereum keys carry no network; the chain id goes into the payment URI instead.
        return 'mainnet';
    }
  }
}

function defaultPolicy(): GatewayStorePolicy {
  return { ...DEFAULT_STORE_POLICY, spreadBps: DEFAULT_SPREAD_BPS };
}

/** `input` over `base`, validated by core (tolerance, minutes) after zod checked shapes and enums. */
export function mergePolicy(base: GatewayStorePolicy, input: StorePolicyInput): GatewayStorePolicy {
  const merged: GatewayStorePolicy = {
    ...base,
    ...(input.speedPolicy !== undefined ? { speedPolicy: input.speedPolicy } : {}),
    ...(input.perAssetSpeedPolicy !== undefined ? { perAssetSpeedPolicy: input.perAssetSpeedPolicy } : {}),
    ...(input.amountThresholds !== undefined
      ? {
          amountThresholds: input.amountThresholds.map((t, i) => {
            let currency: FiatCurrency;
            let aboveMinor: bigint;
            try {
              currency = parseFiatCurrency(t.currency);
              aboveMinor = parseAmount(t.above, currency);
            } catch (err) {
              if (err instanceof ValidationError) {
                throw new ValidationError(`policy.amountThresholds.${i}: ${err.message}`, { field: `policy.amountThresholds.${i}` }, err.code);
              }
              throw err;
            }
            return { currency, aboveMinor, speedPolicy: t.speedPolicy };
          }),
        }
      : {}),
    ...(input.paymentTolerancePct !== undefined ? { paymentTolerancePct: input.paymentTolerancePct } : {}),
    ...(input.expiryMinutes !== undefined ? { expiryMinutes: input.expiryMinutes } : {}),
    ...(input.monitoringMinutes !== undefined ? { monitoringMinutes: input.monitoringMinutes } : {}),
    ...(input.spreadBps !== undefined ? { spreadBps: input.spreadBps } : {}),
    ...(input.fxPreferredSources !== undefined ? { fxPreferredSources: [...new Set(input.fxPreferredSources)] } : {}),
    ...(input.fxFallbackSources !== undefined ? { fxFallbackSources: [...new Set(input.fxFallbackSources)] } : {}),
    ...(input.escrow !== undefined ? { escrow: { ...(base.escrow ?? DEFAULT_ESCROW_POLICY), ...input.escrow } } : {}),
  };
  validateStorePolicy(merged);
  return merged;
}

function toStore(row: Selectable<StoresTable>): Store {
  return {
    id: row.id as StoreId,
    name: row.name,
    status: row.status,
    payoutCurrency: row.payout_currency as FiatCurrency,
    payoutAccount: row.payout_account as PayoutAccount,
    wallets: (row.wallets ?? {}) as Partial<Record<CryptoAsset, ReceivingWallet>>,
    policy: policyFromJson({ ...DEFAULT_STORE_POLICY, spreadBps: DEFAULT_SPREAD_BPS, ...(row.policy as Partial<StoredPolicyJson>) } as StoredPolicyJson),
    payoutTerms: payoutTermsOf(row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function decodeCursor(cursor: string): StoreId {
  try {
    return parseId('st', Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ValidationError('The cursor is not one this API issued', { field: 'cursor' }, 'invalid_cursor');
  }
}
