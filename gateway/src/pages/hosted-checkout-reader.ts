import { CRYPTO_ASSET_CODES, type CheckoutId, type CryptoAsset, type StoreId } from '@coinstile/core';
import { CheckoutRepository, CheckoutTenderRepository, type Database, PaymentRepository } from '@coinstile/platform';
import type { HostedCheckoutSnapshot } from './hosted-checkout-view';

/** What the hosted page needs to know about a store (the gateway's `StoreService` provides it). */
export interface HostedStoreDirectory {
  /** The store, possibly from a short-lived cache; null if it does not exist. */
  getCached(id: StoreId): Promise<{
    readonly name: string;
    readonly wallets: Readonly<Partial<Record<CryptoAsset, unknown>>>;
  } | null>;
}

/**
 * Reads a checkout, its payments and its store's name for the page. Reads the store of record directly
 * (not the API view): the page needs typed amounts, the invalid reason and every payment's state.
 */
export class HostedCheckoutReader {
  readonly #checkouts: CheckoutRepository;
  readonly #payments: PaymentRepository;
  /** Read only: the page lists tenders, applying and releasing them is the services' business. */
  readonly #tenders: CheckoutTenderRepository;

  constructor(
    private readonly db: Database,
    private readonly stores: HostedStoreDirectory,
  ) {
    this.#checkouts = new CheckoutRepository(db);
    this.#payments = new PaymentRepository(db);
    this.#tenders = new CheckoutTenderRepository(db, []);
  }

  async load(id: CheckoutId): Promise<HostedCheckoutSnapshot | null> {
    const [checkout, payments, tenders, link] = await Promise.all([
      this.#checkouts.findById(id),
      this.#payments.listForCheckout(id),
      this.#tenders.listOf(id),
      this.db.kysely.selectFrom('checkouts').select(['purpose', 'shopper_account_id']).where('id', '=', id).executeTakeFirst(),
    ]);
    if (checkout === null) return null;
    const store = await this.stores.getCached(checkout.storeId);
    const hasWallet = (asset: CryptoAsset): boolean => store?.wallets[asset] !== undefined;
    const assetsOffered = checkout.assetsOffered.length > 0 ? checkout.assetsOffered.filter(hasWallet) : CRYPTO_ASSET_CODES.filter(hasWallet);
    const shopperLink = link?.shopper_account_id ? { purpose: link.purpose } : null;
    return { checkout, payments, storeName: store?.name ?? '', assetsOffered, tenders, shopperLink };
  }
}
