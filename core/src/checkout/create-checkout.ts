import { DomainRuleError, ValidationError } from '../errors/api-errors';
import type { CheckoutId, StoreId } from '../ids/id';
import type { CryptoAsset } from '../money/crypto-asset';
import type { FiatCurrency } from '../money/fiat-currency';
import { parseRate } from '../money/rate';
import { checkoutDeadlines, type StorePolicy } from '../policy/store-policy';
import type { Checkout } from './checkout';
import type { Quote } from './quote';

/** The payment instructions a checkout gets once an asset is chosen. */
export interface PaymentInstructions {
  readonly asset: CryptoAsset;
  readonly address: string;
  readonly quote: Quote;
}

export interface NewCheckoutInput {
  readonly id: CheckoutId;
  readonly storeId: StoreId;
  readonly orderId: string;
  readonly priceMinor: bigint;
  readonly currency: FiatCurrency;
  readonly createdAt: Date;
  readonly policy: Pick<StorePolicy, 'expiryMinutes' | 'monitoringMinutes'>;
  /** Given when the store names the asset up front; else the shopper picks it on the hosted page. */
  readonly payment?: PaymentInstructions;
}

/** The asset cannot be chosen: the checkout is no longer open or already has one. 422 `checkout_not_payable`. */
export class CheckoutNotPayableError extends DomainRuleError {
  readonly code = 'checkout_not_payable';
  constructor(
    readonly checkoutId: string,
    readonly reason: 'not_new' | 'expired' | 'asset_already_chosen',
  ) {
    super(`Checkout ${checkoutId} cannot take payment instructions (${reason})`, { checkoutId, reason });
  }
}

function checkInstructions(priceMinor: bigint, currency: FiatCurrency, payment: PaymentInstructions): void {
  const { quote } = payment;
  if (quote.asset !== payment.asset || quote.currency !== currency || quote.priceMinor !== priceMinor) {
    throw new ValidationError('The quote does not match the checkout', { quoteId: quote.id });
  }
  parseRate(quote.rate);
  if (quote.amountDueBase <= 0n) throw new ValidationError('The amount due must be positive', { quoteId: quote.id });
  if (payment.address.length === 0) throw new ValidationError('A payment address is required');
}

/** A fresh `new` checkout, version 1, with deadlines from the store policy. */
export function createCheckout(input: NewCheckoutInput): Checkout {
  if (input.priceMinor <= 0n) throw new ValidationError('The price must be positive', { field: 'amount' });
  if (input.orderId.length === 0 || input.orderId.length > 200) {
    throw new ValidationError('orderId must be 1 to 200 characters', { field: 'orderId' });
  }
  if (input.payment !== undefined) checkInstructions(input.priceMinor, input.currency, input.payment);
  const { expiresAt, monitoringUntil } = checkoutDeadlines(input.createdAt, input.policy);
  return {
    id: input.id,
    storeId: input.storeId,
    orderId: input.orderId,
    priceMinor: input.priceMinor,
    currency: input.currency,
    asset: input.payment?.asset ?? null,
    address: input.payment?.address ?? null,
    amountDueBase: input.payment?.quote.amountDueBase ?? null,
    quoteId: input.payment?.quote.id ?? null,
    rate: input.payment === undefined ? null : parseRate(input.payment.quote.rate),
    quoteExpiresAt: input.payment?.quote.expiresAt ?? null,
    status: 'new',
    exception: 'none',
    invalidReason: null,
    amountPaidBase: 0n,
    countedPaymentIds: [],
    reversedPaymentIds: [],
    version: 1,
    createdAt: input.createdAt,
    expiresAt,
    monitoringUntil,
    settledAt: null,
  };
}

/**
 * Attaches the shopper's chosen asset, address and locked quote to an open checkout that has none yet.
 * Not an event: nothing has happened on chain. Increments `version` (write it with compare-and-set).
 */
export function choosePaymentAsset(checkout: Checkout, payment: PaymentInstructions, now: Date): Checkout {
  if (checkout.status !== 'new') throw new CheckoutNotPayableError(checkout.id, 'not_new');
  if (!(now.getTime() < checkout.expiresAt.getTime())) throw new CheckoutNotPayableError(checkout.id, 'expired');
  if (checkout.asset !== null) throw new CheckoutNotPayableError(checkout.id, 'asset_already_chosen');
  checkInstructions(checkout.priceMinor, checkout.currency, payment);
  return {
    ...checkout,
    asset: payment.asset,
    address: payment.address,
    amountDueBase: payment.quote.amountDueBase,
    quoteId: payment.quote.id,
    rate: parseRate(payment.quote.rate),
    quoteExpiresAt: payment.quote.expiresAt,
    version: checkout.version + 1,
  };
}
