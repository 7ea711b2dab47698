import { parentPort } from 'node:worker_threads';
import { deriveAddress } from './derive-address';
import type { DerivationBatch, DerivationOutcome } from './address-derivation-pool';
import type { ReceivingWallet } from './receiving-wallet';
import { DerivationIndexError, UnusableChildIndexError } from './wallet-errors';

/**
 * The thread behind `AddressDerivationPool`: derives each address of a batch and answers with the batch's
 * outcomes in order. An error goes back as its kind, so the pool raises the same typed error.
 */
parentPort?.on('message', (batch: DerivationBatch) => {
  const outcomes: DerivationOutcome[] = [];
  for (let i = 0; i < batch.requests.length; i += 2) outcomes.push(derive(batch.wallets[batch.requests[i]!]!, batch.requests[i + 1]!));
  parentPort?.postMessage({ id: batch.id, outcomes });
});

function derive(wallet: ReceivingWallet, index: number): DerivationOutcome {
  try {
    return { address: deriveAddress(wallet, index) };
  } catch (err) {
    if (err instanceof UnusableChildIndexError) return { error: 'unusable_index' };
    if (err instanceof DerivationIndexError) return { error: 'invalid_index' };
    return { error: 'failed', message: err instanceof Error ? err.message : String(err) };
  }
}
