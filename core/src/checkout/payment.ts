import type { CheckoutId, PaymentId } from '../ids/id';
import type { CryptoAsset } from '../money/crypto-asset';

/**
 * Where a payment stands on chain:
 * - `pending`: in the mempool, or in a block with fewer confirmations than `confirmed` implies;
 * - `confirmed`: in the best chain;
 * - `orphaned`: its block was reorged out and it is in neither the chain nor the mempool;
 * - `replaced`: a conflicting transaction spent its inputs (double spend, RBF replacement).
 * `pending` and `confirmed` are "live"; only live payments count toward a checkout.
 */
export type PaymentState = 'pending' | 'confirmed' | 'orphaned' | 'replaced';

export const PAYMENT_STATES: readonly PaymentState[] = ['pending', 'confirmed', 'orphaned', 'replaced'];

/** One on-chain transfer to a checkout's address. */
export interface Payment {
  readonly id: PaymentId;
  readonly checkoutId: CheckoutId;
  readonly asset: CryptoAsset;
  readonly txid: string;
  /** The output (`vout`) for UTXO chains, the log index for ERC-20 transfers, 0 for native ETH. */
  readonly outputIndex: number;
  readonly amountBase: bigint;
  /** Blocks including and on top of the transaction's block; 0 while in the mempool. */
  readonly confirmations: number;
  /** BIP-125: the transaction says it may be replaced by a higher-fee one. */
  readonly rbfSignalled: boolean;
  /** When Coinstile first saw the transaction (mempool or block), by its own clock. */
  readonly firstSeenAt: Date;
  readonly state: PaymentState;
}

/** True for payments that may still end up in the chain: `pending` and `confirmed`. */
export function isLivePayment(payment: Pick<Payment, 'state'>): boolean {
  switch (payment.state) {
    case 'pending':
    case 'confirmed':
      return true;
    case 'orphaned':
    case 'replaced':
      return false;
  }
}
