import { assertNever, type CheckoutStatus } from '@coinstile/core';
import type { CheckoutView, PayoutView } from './coinstile-api-client';
import type { DemoAsset } from './demo-store';

/** Where one demo checkout is, as far as the API shows it. */
export type DemoStage =
  | 'awaiting_payment'
  | 'paid'
  | 'processing'
  | 'settled'
  | 'released'
  | 'expired'
  | 'invalid'
  | 'cancelled'
  | 'payment_failed';

/** Stages after which nothing more is awaited. `settled` is final only when payouts cannot be seen. */
export function isFinalStage(stage: DemoStage, payoutsVisible: boolean): boolean {
  switch (stage) {
    case 'awaiting_payment':
    case 'paid':
    case 'processing':
      return false;
    case 'settled':
      return !payoutsVisible;
    case 'released':
    case 'expired':
    case 'invalid':
    case 'cancelled':
    case 'payment_failed':
      return true;
    default:
      return assertNever(stage, 'demo stage');
  }
}

/** One demo checkout: prints a line whenever the API shows it further along. */
export class CheckoutProgress {
  stage: DemoStage = 'awaiting_payment';
  private confirmations = -1;

  constructor(
    readonly label: string,
    readonly checkoutId: string,
    readonly asset: DemoAsset,
    private readonly out: (line: string) => void,
  ) {}

  paymentFailed(reason: string): void {
    this.stage = 'payment_failed';
    this.print(`payment failed: ${reason}`);
  }

  /** Applies the latest view of the checkout and, once it has one, its payout. */
  update(checkout: CheckoutView, payout: PayoutView | undefined): void {
    const status = checkout.status as CheckoutStatus;
    const payment = checkout.payments[0];
    const confirmations = Math.max(0, ...checkout.payments.map((p) => p.confirmations));
    switch (status) {
      case 'new':
        if (payment !== undefined && this.stage === 'awaiting_payment') {
          this.stage = 'paid';
          this.print(`paid, seen on chain: tx ${short(payment.txid)} (${confirmationsText(confirmations)})`);
        }
        return;
      case 'processing':
        if (this.stage !== 'processing' || confirmations !== this.confirmations) {
          this.stage = 'processing';
          this.confirmations = confirmations;
          this.print(`processing: ${confirmationsText(confirmations)}${payment ? `, tx ${short(payment.txid)}` : ''}`);
        }
        return;
      case 'settled':
        if (this.stage !== 'settled' && this.stage !== 'released') {
          this.stage = 'settled';
          this.print(`settled${checkout.exception !== 'none' ? ` (${checkout.exception})` : ''}: fiat value locked at ${checkout.amount} ${checkout.currency}`);
        }
        if (payout !== undefined && this.stage === 'settled') {
          this.stage = 'released';
          this.print(`released to the store; payout ${payout.id} ${payout.status}`);
        }
        return;
      case 'expired':
      case 'invalid':
      case 'cancelled':
        if (this.stage !== status) {
          this.stage = status;
          this.print(`${status}${checkout.exception !== 'none' ? ` (${checkout.exception})` : ''}`);
        }
        return;
      default:
        return assertNever(status, 'checkout status');
    }
  }

  print(message: string): void {
    this.out(`${this.label.padEnd(4)} ${this.checkoutId}  ${this.asset.padEnd(4)}  ${message}`);
  }
}

function confirmationsText(n: number): string {
  return `${n} confirmation${n === 1 ? '' : 's'}`;
}

function short(txid: string): string {
  return txid.length > 16 ? `${txid.slice(0, 10)}…${txid.slice(-4)}` : txid;
}
