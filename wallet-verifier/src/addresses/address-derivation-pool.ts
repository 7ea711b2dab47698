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
  /** Each wallet of the batch once (a wallet is copied into the message, so not once per request). */
  readonly wallets: readonly ReceivingWallet[];
  /** Per request: its wallet's position in `wallets`, then its index. */
  readonly requests: Int32Array;
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
  /** Derived ahead of demand into this window: dropped, not derived inline, if its thread dies. */
  readonly ahead?: WalletWindow;
  resolve(address: string): void;
  reject(err: unknown): void;
}

/** The addresses of one wallet derived ahead of the indexes handed out. */
interface WalletWindow {
  readonly ready: Map<number, string>;
  /** Every index below this one has been asked for (derived, in flight or queued). */
  askedTo: number;
}

/** What an `AddressDerivationPool` has done since it was made: counters for metrics and tests. */
export interface AddressDerivationStats {
  /** Requests answered from addresses derived ahead, with no trip to the thread. */
  readonly readyHits: number;
  /** Requests that had to wait for a derivation (on the thread, or inline). */
  readonly onDemand: number;
  /** Addresses the thread was asked for, ahead and on demand together. */
  readonly sentToThread: number;
}

/** Worker failures after which the pool stops starting threads and derives inline for good. */
const MAX_WORKER_FAILURES = 3;
/** Addresses derived ahead per wallet, and how few may remain ahead before the next window is asked for. */
const LOOKAHEAD = 128;
const REFILL_BELOW = 64;
/** Derivations ahead sent to the thread per message. */
const AHEAD_CHUNK = 16;
/** Messages of derivations ahead on the thread at once: a request on demand waits behind these at most. */
const AHEAD_MESSAGES = 4;
/** Wallets whose windows are kept; the least recently used one is forgotten beyond it. */
const MAX_WINDOWS = 1_000;
const MAX_INDEX = 0x7fffffff;

/**
 * Derives addresses on a worker thread, so the elliptic-curve work of a checkout (a scalar multiplication,
 * most of the cost of creating one) runs beside the event loop instead of on it. Requests made within one
 * turn of the event loop travel as one message. The thread starts with the first request.
 *
 * Indexes are handed out in order per wallet, so the pool also derives each wallet's next addresses ahead
 * of demand (a window of `LOOKAHEAD`, refilled as it is used, in small messages so a request on demand
 * never waits long behind them): a checkout then usually finds its address ready, with no round trip to
 * the thread. This is memoisation only: nothing is reserved or stored, and an address is the same
 * whenever it is derived.
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
  readonly #windows = new Map<string, WalletWindow>();
  #ahead: PendingDerivation[] = [];
  #aheadMessagesInFlight = 0;
  #readyHits = 0;
  #onDemand = 0;
  #sentToThread = 0;

  constructor(options: { readonly workerScript?: string } = {}) {
    this.#script = options.workerScript ?? compiledWorkerScript();
  }

  /** `worker` while derivations go to a thread; `inline` when they are done on the calling thread. */
  get mode(): 'worker' | 'inline' {
    return this.#script !== undefined && this.#failures < MAX_WORKER_FAILURES && !this.#closed ? 'worker' : 'inline';
  }

  get stats(): AddressDerivationStats {
    return { readyHits: this.#readyHits, onDemand: this.#onDemand, sentToThread: this.#sentToThread };
  }

  derive(wallet: ReceivingWallet, index: number): Promise<string> {
    if (this.mode === 'inline') {
      this.#onDemand += 1;
      return inlineAddressDeriver.derive(wallet, index);
    }
    const window = this.#windowOf(wallet);
    const ready = window.ready.get(index);
    this.#deriveAhead(wallet, window, index);
    if (ready !== undefined) {
      this.#readyHits += 1;
      window.ready.delete(index);
      return Promise.resolve(ready);
    }
    this.#onDemand += 1;
    // Derived on demand: the same index, or an earlier one, still waiting to be derived ahead is not needed.
    if (this.#ahead.length > 0) this.#ahead = this.#ahead.filter((pending) => pending.ahead !== window || pending.index > index);
    return new Promise<string>((resolve, reject) => {
      this.#queue.push({ wallet, index, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  #windowOf(wallet: ReceivingWallet): WalletWindow {
    const key = `${wallet.kind}|${wallet.chain}|${'network' in wallet ? wallet.network : ''}|${wallet.extendedPublicKey}|${wallet.chainPath.join('/')}`;
    let window = this.#windows.get(key);
    if (window !== undefined) this.#windows.delete(key);
    else window = { ready: new Map(), askedTo: 0 };
    this.#windows.set(key, window);
    if (this.#windows.size > MAX_WINDOWS) {
      const oldest = this.#windows.keys().next().value;
      if (oldest !== undefined) this.#windows.delete(oldest);
    }
    return window;
  }

  /** Asks for the wallet's next window when fewer than `REFILL_BELOW` addresses remain ahead of `index`. */
  #deriveAhead(wallet: ReceivingWallet, window: WalletWindow, index: number): void {
    if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX || window.askedTo - index > REFILL_BELOW) return;
    // Indexes below this one were handed out already (here or by another gateway): never asked again.
    for (const stale of window.ready.keys()) if (stale < index) window.ready.delete(stale);
    const from = Math.max(window.askedTo, index + 1);
    const to = Math.min(from + LOOKAHEAD, MAX_INDEX + 1);
    window.askedTo = to;
    for (let i = from; i < to; i += 1) {
      this.#ahead.push({ wallet, index: i, ahead: window, resolve: (address) => window.ready.set(i, address), reject: () => undefined });
    }
    this.#schedule();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#ahead = [];
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
    if (batch.length > 0) {
      const worker = this.#closed ? undefined : this.#ensureWorker();
      if (worker) this.#send(worker, batch);
      else batch.forEach(deriveInline);
    }
    this.#sendAhead();
  }

  /** A few small messages of derivations ahead at a time, so requests on demand never queue behind many. */
  #sendAhead(): void {
    while (this.#aheadMessagesInFlight < AHEAD_MESSAGES && this.#ahead.length > 0 && !this.#closed) {
      const worker = this.#ensureWorker();
      if (!worker) {
        this.#ahead = [];
        return;
      }
      this.#aheadMessagesInFlight += 1;
      this.#send(worker, this.#ahead.splice(0, AHEAD_CHUNK));
    }
  }

  #send(worker: Worker, batch: PendingDerivation[]): void {
    const id = this.#nextBatchId++;
    this.#inFlight.set(id, batch);
    this.#sentToThread += batch.length;
    worker.ref();
    const wallets: ReceivingWallet[] = [];
    const positions = new Map<ReceivingWallet, number>();
    const requests = new Int32Array(batch.length * 2);
    batch.forEach(({ wallet, index }, i) => {
      let position = positions.get(wallet);
      if (position === undefined) positions.set(wallet, (position = wallets.push(wallet) - 1));
      requests[2 * i] = position;
      // Out of range for an Int32 (a bad index): -1, which derivation refuses as the bad index it is.
      requests[2 * i + 1] = Number.isInteger(index) && index >= 0 && index <= MAX_INDEX ? index : -1;
    });
    const message: DerivationBatch = { id, wallets, requests };
    worker.postMessage(message, [requests.buffer]);
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
    if (batch[0]?.ahead) this.#aheadMessagesInFlight -= 1;
    batch.forEach((pending, i) => {
      const outcome = outcomes[i];
      if (outcome === undefined) deriveInline(pending);
      else if ('address' in outcome) pending.resolve(outcome.address);
      else pending.reject(derivationError(outcome, pending.index));
    });
    this.#afterSettle();
    this.#sendAhead();
  }

  /** The thread died or failed to start: what it held is derived here, and the next request starts another. */
  #lost(worker: Worker): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    if (!this.#closed) this.#failures += 1;
    const stranded = [...this.#inFlight.values()].flat();
    this.#inFlight.clear();
    this.#aheadMessagesInFlight = 0;
    // What was asked on demand is derived here; what was only derived ahead is dropped (asked again on a miss).
    stranded.filter((pending) => !pending.ahead).forEach(deriveInline);
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
