import { DomainRuleError } from '../errors/api-errors';
import { assertNever } from '../errors/assert-never';
import type { Id, StoreId } from '../ids/id';
import type { FiatCurrency } from '../money/fiat-currency';

export type VoucherBatchId = Id<'vb'>;
export type VoucherId = Id<'vch'>;

/**
 * - `issued`: printed, worth nothing until a POS activates it (a stolen card is worthless);
 * - `activated`: a store's POS took the cash; the balance is spendable (also after a partial redemption);
 * - `redeemed`: the balance is spent down to zero (a tender given back makes it `activated` again);
 * - `expired`: past `expiresAt`; whatever balance is left is no longer spendable;
 * - `voided`: withdrawn by the operator (lost stock, fraud).
 */
export type VoucherStatus = 'issued' | 'activated' | 'redeemed' | 'expired' | 'voided';

export const VOUCHER_STATUSES: readonly VoucherStatus[] = ['issued', 'activated', 'redeemed', 'expired', 'voided'];

export interface Voucher {
  readonly id: VoucherId;
  readonly batchId: VoucherBatchId;
  readonly status: VoucherStatus;
  readonly currency: FiatCurrency;
  readonly faceValueMinor: bigint;
  /** What is still spendable; 0 until activation. Held tenders are already taken out of it. */
  readonly balanceMinor: bigint;
  readonly expiresAt: Date;
  /** Set by activation: the store whose POS sold the card, its transaction id, and when. */
  readonly activatedByStoreId: StoreId | null;
  readonly posTransactionId: string | null;
  readonly activatedAt: Date | null;
}

/** What may happen to a voucher. */
export type VoucherCommand =
  | { readonly type: 'activate'; readonly storeId: StoreId; readonly posTransactionId: string; readonly at: Date }
  /** Take `amountMinor` of the balance for a checkout tender (held, captured later). */
  | { readonly type: 'redeem'; readonly amountMinor: bigint; readonly at: Date }
  /** A held tender's checkout expired or was cancelled: the amount returns to the balance. */
  | { readonly type: 'give_back'; readonly amountMinor: bigint; readonly at: Date }
  | { readonly type: 'void'; readonly at: Date }
  | { readonly type: 'expire'; readonly at: Date };

export type VoucherRefusalReason = 'not_activated' | 'already_activated' | 'expired' | 'voided' | 'exhausted' | 'bad_amount';

/** The command is not allowed in the voucher's state. 422 `voucher_<reason>`. */
export class VoucherRefusedError extends DomainRuleError {
  readonly code: string;
  constructor(
    readonly voucherId: string,
    readonly reason: VoucherRefusalReason,
  ) {
    super(`Voucher ${voucherId} cannot be used (${reason.replace(/_/g, ' ')})`, { voucherId, reason });
    this.code = `voucher_${reason}`;
  }
}

/** The status at `now`: an `issued` or `activated` voucher past `expiresAt` is `expired`, persisted or not. */
export function voucherStatusAt(voucher: Voucher, now: Date): VoucherStatus {
  switch (voucher.status) {
    case 'issued':
    case 'activated':
      return now.getTime() >= voucher.expiresAt.getTime() ? 'expired' : voucher.status;
    case 'redeemed':
    case 'expired':
    case 'voided':
      return voucher.status;
  }
  return assertNever(voucher.status, 'voucher status');
}

/**
 * The voucher after `command`, or `VoucherRefusedError`. Pure. Expiry is applied first (a command at or
 * after `expiresAt` sees an `expired` voucher), except that `give_back` always returns the money: a
 * held tender was taken while the voucher was valid, and the ledger still owes it to the holder.
 */
export function applyVoucherCommand(voucher: Voucher, command: VoucherCommand): Voucher {
  const status = voucherStatusAt(voucher, command.at);
  const refuse = (reason: VoucherRefusalReason): never => {
    throw new VoucherRefusedError(voucher.id, reason);
  };
  switch (command.type) {
    case 'activate':
      switch (status) {
        case 'issued':
          return {
            ...voucher,
            status: 'activated',
            balanceMinor: voucher.faceValueMinor,
            activatedByStoreId: command.storeId,
            posTransactionId: command.posTransactionId,
            activatedAt: command.at,
          };
        case 'activated':
        case 'redeemed':
          return refuse('already_activated');
        case 'expired':
          return refuse('expired');
        case 'voided':
          return refuse('voided');
      }
      return assertNever(status, 'voucher status');
    case 'redeem':
      if (command.amountMinor <= 0n) return refuse('bad_amount');
      switch (status) {
        case 'activated':
          if (command.amountMinor > voucher.balanceMinor) return refuse('exhausted');
          return {
            ...voucher,
            balanceMinor: voucher.balanceMinor - command.amountMinor,
            status: voucher.balanceMinor === command.amountMinor ? 'redeemed' : 'activated',
          };
        case 'issued':
          return refuse('not_activated');
        case 'redeemed':
          return refuse('exhausted');
        case 'expired':
          return refuse('expired');
        case 'voided':
          return refuse('voided');
      }
      return assertNever(status, 'voucher status');
    case 'give_back':
      if (command.amountMinor <= 0n || voucher.balanceMinor + command.amountMinor > voucher.faceValueMinor) return refuse('bad_amount');
      switch (voucher.status) {
        case 'issued':
          return refuse('not_activated');
        case 'activated':
        case 'redeemed':
          return { ...voucher, balanceMinor: voucher.balanceMinor + command.amountMinor, status: 'activated' };
        case 'expired':
        case 'voided':
          return { ...voucher, balanceMinor: voucher.balanceMinor + command.amountMinor };
      }
      return assertNever(voucher.status, 'voucher status');
    case 'void':
      switch (status) {
        case 'issued':
        case 'activated':
        case 'redeemed':
        case 'expired':
          return { ...voucher, status: 'voided' };
        case 'voided':
          return refuse('voided');
      }
      return assertNever(status, 'voucher status');
    case 'expire':
      switch (status) {
        case 'expired':
          return { ...voucher, status: 'expired' };
        case 'issued':
        case 'activated':
        case 'redeemed':
        case 'voided':
          return voucher;
      }
      return assertNever(status, 'voucher status');
  }
  return assertNever(command, 'voucher command');
}
