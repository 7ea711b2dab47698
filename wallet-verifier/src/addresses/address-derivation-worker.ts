import { parentPort } from 'node:worker_threads';
import { deriveAddress } from './derive-address';
import type { DerivationBatch, DerivationOutcome } from './address-derivation-pool';
import { DerivationIndexError, UnusableChildIndexError } from './wallet-errors';

/**
 * The thread behind `AddressDerivationPool`: derives each address of a batch and answers with the batch's
 * outcomes in order. An error goes back as its kind, so the pool raises the same typed error.
 */
parentPort?.on('message', (batch: DerivationBatch) => {
  const outcomes: DerivationOutcome[] = batch.requests.map(({ wallet, index }): DerivationOutcome => {
    try {
      return { address: deriveAddress(wallet, index) };
    } catch (err) {
      if (err instanceof UnusableChildIndexError) return { error: 'unusable_index' };
      if (err instanceof DerivationIndexError) return { error: 'invalid_index' };
      return { error: 'failed', message: err instanceof Error ? err.message : String(err) };
    }
  });
  parentPort?.postMessage({ id: batch.id, outcomes });
});
