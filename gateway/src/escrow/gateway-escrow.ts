import { createEscrowLinkSigner, EscrowService, type EscrowLinkSigner } from '@coinstile/merchant-payouts';
import type { ServiceRuntime } from '@coinstile/platform';
import { CarrierKeyService } from './carrier-keys';

/** The escrow parts the gateway serves: the service, the shopper's link signer, and carrier keys. */
export interface GatewayEscrow {
  readonly service: EscrowService;
  readonly links: EscrowLinkSigner;
  readonly carrierKeys: CarrierKeyService;
}

export async function gatewayEscrow(runtime: Pick<ServiceRuntime, 'db' | 'clock' | 'random' | 'config'>): Promise<GatewayEscrow> {
  const links = await createEscrowLinkSigner(runtime);
  const { db, clock, random } = runtime;
  return { service: new EscrowService({ db, clock, random, links }), links, carrierKeys: new CarrierKeyService(db, clock, random) };
}
