import { ValidationError } from '@coinstile/core';

/** A payout account field that cannot receive a bank transfer. `field` names the input field. */
export class InvalidPayoutAccountError extends ValidationError {
  constructor(
    readonly field: string,
    readonly reason: string,
    message: string,
  ) {
    super(message, { field, reason }, 'invalid_payout_account');
  }
}
