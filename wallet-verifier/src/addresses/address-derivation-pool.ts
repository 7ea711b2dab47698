import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { deriveAddress } from './derive-address';
import type { ReceivingWallet } from './receiving-wallet';
import { DerivationIndexError, UnusableChildIndexError } from './wallet-errors';

/** Derives receiving addresses for the checkouts of a process. */
export interface AddressDeriver {
  /**
   * The address at `index` of `wallet`, exactly as `deriveAddress` gives it.
   * @throws DerivationIndexError for an index outside 0 … 2^31-1
   * @throws UnusableChildIndexError in the 2^-127 case BIP32 leaves an index without a key (skip it)
   */
  derive(wallet: ReceivingWallet, index: number): Promise<string>;
  /** Lets derivations in flight finish, then releases what the deriver holds (its thread). */
  close(): Promise<void>;
}

/** Derives on the calling thread. */
export const inlineAddressDeriver: AddressDeriver = {
  derive: async (wallet, index) => deriveAddress(wallet, index),
  close: async () => undefined,
};

/** @internal The message the pool sends its thread. */
export interface DerivationBatch {
  readonly id: number;
  readonly requests: readonly { readonly wallet: ReceivingWallet; readonly index: number }[];
}

/** @internal One answer of the thread, in request order. */
export type DerivationOutcome =
  | { readonly address: string }
  | { readonly error: 'unusable_index' }
  | { readonly error: 'invalid_index' }
  | { readonly error: 'failed'; readonly message: string };

interface PendingDerivation {
  readonly wallet: ReceivingWallet;
  readonly index: number;
  resolve(address: string): void;
  reject(err: unknown): void;
}

/** Worker failures after which the pool stops starting threads and derives inline for good. */
const MAX_WORKER_FAILURES = 3;

/**
 * Derives addresses on a worker thread, so the elliptic-curve work of a checkout (a scalar multiplication,
 * most of the cost of creating one) runs beside the event loop instead of on it. Requests made within one
 * turn of the event loop travel as one message. The thread starts with the first request.
 *
 * Falls back to deriving inline, with the same results and errors, when the compiled worker script is not
 * there (TypeScript sources without a build) or the thread keeps failing; requests in flight on a thread
 * that dies are derived inline, never lost.
 */
export class AddressDerivationPool implements AddressDeriver {
  #worker: Worker | undefined;
  #failures = 0;
  #queue: PendingDerivation[] = [];
  #scheduled = false;
  #closed = false;
  #nextBatchId = 1;
  readonly #inFlight = new Map<number, PendingDerivation[]>();
  #drained: (() => void) | undefined;
  readonly #script: string | undefined;

  constructor(options: { readonly workerScript?: string } = {}) {
    this.#script = options.workerScript ?? compiledWorkerScript();
  }

  /** `worker` while derivations go to a thread; `inline` when they are done on the calling thread. */
  get mode(): 'worker' | 'inline' {
    return this.#script !== undefined && this.#failures < MAX_WORKER_FAILURES && !this.#closed ? 'worker' : 'inline';
  }

  derive(wallet: ReceivingWallet, index: number): Promise<string> {
    if (this.mode === 'inline') return inlineAddressDeriver.derive(wallet, index);
    return new Promise<string>((resolve, reject) => {
      this.#queue.push({ wallet, index, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#flush();
    if (this.#inFlight.size > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    const worker = this.#closed ? undefined : this.#ensureWorker();
    if (!worker) {
      batch.forEach(deriveInline);
      return;
    }
    const id = this.#nextBatchId++;
    this.#inFlight.set(id, batch);
    worker.ref();
    const message: DerivationBatch = { id, requests: batch.map(({ wallet, index }) => ({ wallet, index })) };
    worker.postMessage(message);
  }

  #ensureWorker(): Worker | undefined {
    if (this.#worker) return this.#worker;
    if (this.mode === 'inline' || this.#script === undefined) return undefined;
    const worker = new Worker(this.#script);
    worker.on('message', (answer: { id: number; outcomes: readonly DerivationOutcome[] }) => this.#settle(answer.id, answer.outcomes));
    worker.on('error', () => this.#lost(worker));
    worker.on('exit', () => this.#lost(worker));
    this.#worker = worker;
    return worker;
  }

  #settle(id: number, outcomes: readonly DerivationOutcome[]): void {
    const batch = this.#inFlight.get(id);
    if (!batch) return;
    this.#inFlight.delete(id);
    batch.forEach((pending, i) => {
      const outcome = outcomes[i];
      if (outcome === undefined) deriveInline(pending);
      else if ('address' in outcome) pending.resolve(outcome.address);
      else pending.reject(derivationError(outcome, pending.index));
    });
    this.#afterSettle();
  }

  /** The thread died or failed to start: what it held is derived here, and the next request starts another. */
  #lost(worker: Worker): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    if (!this.#closed) this.#failures += 1;
    const stranded = [...this.#inFlight.values()].flat();
    this.#inFlight.clear();
    stranded.forEach(deriveInline);
    this.#afterSettle();
  }

  #afterSettle(): void {
    if (this.#inFlight.size > 0) return;
    // An idle thread does not keep the process alive.
    this.#worker?.unref();
    this.#drained?.();
    this.#drained = undefined;
  }
}

function derivationError(outcome: Exclude<DerivationOutcome, { readonly address: string }>, index: number): Error {
  switch (outcome.error) {
    case 'unusable_index':
      return new UnusableChildIndexError(index);
    case 'invalid_index':
      return new DerivationIndexError(index);
    case 'failed':
      return new Error(`Address derivation failed: ${outcome.message}`);
  }
}

function deriveInline(pending: PendingDerivation): void {
  try {
    pending.resolve(deriveAddress(pending.wallet, pending.index));
  } catch (err) {
    pending.reject(err);
  }
}

/**
 * The compiled worker beside this module; from the TypeScript sources (jest), the workspace's build of it.
 * Without either, the pool derives inline.
 */
function compiledWorkerScript(): string | undefined {
  const candidates = [join(__dirname, 'address-derivation-worker.js'), join(__dirname, '..', '..', 'dist', 'addresses', 'address-derivation-worker.js')];
  return candidates.find((file) => existsSync(file));
}
