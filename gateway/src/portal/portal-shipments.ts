import type { CheckoutId, StoreId } from '@coinstile/core';

/** A registered carrier a store may ship with. */
export interface ShipmentCarrier {
  readonly id: string;
  readonly name: string;
}

/**
 * Shipments and pre-acceptance cancellation as the portal uses them: merchant-payouts' `EscrowService`
 * fits. Without it the portal shows orders but offers no shipping or cancelling.
 */
export interface PortalShipments {
  /** Carriers a store may choose when marking an order shipped. */
  listCarriers(): Promise<readonly ShipmentCarrier[]>;
  /** Records the shipment of a released order of `storeId` (which feeds escrow acceptance). */
  registerShipment(input: { storeId: StoreId; checkoutId: CheckoutId; carrierId: string; trackingNumber: string }): Promise<unknown>;
  /** Cancels a released order of `storeId` before the shopper accepted it (the shopper is refunded). */
  cancelBeforeAcceptance(input: { storeId: StoreId; checkoutId: CheckoutId; reason: string }): Promise<unknown>;
}
