import type { Clock, RandomSource } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import { ReceiptKeyStore, type ReceiptKeyLogger } from './receipt-key-store';
import type { ReceiptSigner } from './receipt-issuer';

export interface CreateReceiptSignerOptions {
  readonly db: Database;
  /** `iss` of every receipt: the installation's PUBLIC_URL. */
  readonly issuer: string;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger?: ReceiptKeyLogger;
}

/** Opens the key store (creating the first key if there is none) and returns the signer `issueReceipt` takes. */
export async function createReceiptSigner(options: CreateReceiptSignerOptions): Promise<ReceiptSigner> {
  const { db, issuer, clock, random, logger } = options;
  const keys = await ReceiptKeyStore.open({ db, clock, random, ...(logger ? { logger } : {}) });
  return { issuer: issuer.replace(/\/+$/, ''), keys, clock, random };
}
