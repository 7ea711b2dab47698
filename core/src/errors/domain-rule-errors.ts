import { DomainRuleError } from './api-errors';

/** The store is not `active` (still `pending_verification`, or suspended) and cannot sell. */
export class StoreNotActiveError extends DomainRuleError {
  readonly code = 'store_not_active';
  constructor(
    readonly storeId: string,
    readonly storeStatus: string,
  ) {
    super(`Store ${storeId} is ${storeStatus}, not active`, { storeId, status: storeStatus });
  }
}

/** The checkout asked for an asset the store has no wallet for, or the mall does not offer. */
export class AssetNotAcceptedError extends DomainRuleError {
  readonly code = 'asset_not_accepted';
  constructor(
    readonly storeId: string,
    readonly asset: string,
  ) {
    super(`Store ${storeId} does not accept ${asset}`, { storeId, asset });
  }
}
