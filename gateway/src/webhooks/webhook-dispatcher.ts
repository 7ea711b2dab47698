import type { Logger } from 'pino';
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from './delivery-policy';
import { sendWebhook, WebhookConnectionPool, type WebhookAttemptResult } from './webhook-sender';
import { signWebhookPayload, SIGNATURE_HEADER } from './webhook-signature';
import type { SsrfPolicy } from './ssrf-guard';
import type { ClaimedDelivery, WebhookStore } from './webhook-store';

interface PendingSuccess {
  readonly delivery: ClaimedDelivery;
  readonly startedAt: Date;
  readonly result: WebhookAttemptResult;
}

/** Successful attempts recorded per transaction at most. */
const SUCCESSES_PER_COMMIT = 1_000;

export interface WebhookDispatcherOptions {
  readonly store: WebhookStore;
  readonly ssrf: SsrfPolicy;
  readonly logger: Logger;
  readonly policy?: Partial<DeliveryPolicy>;
  /** Requests in flight at once; default 128. */
  readonly concurrency?: number;
  /** Idle poll interval; `wake()` cuts it short. Default 250 ms. */
  readonly pollIntervalMs?: number;
}

/**
 * Sends due webhook deliveries, driven entirely by their rows in Postgres: it claims due rows with a
 * lease, POSTs each signed body, and records the attempt (which schedules the retry). Nothing lives only
 * in memory, so a restart loses no retry, and any number of dispatchers can run at once.
 */
export class WebhookDispatcher {
  readonly policy: DeliveryPolicy;
  readonly #concurrency: number;
  readonly #pollIntervalMs: number;
  /** Kept-alive connections per checked address, shared by every request of this dispatcher. */
  readonly #connections = new WebhookConnectionPool();
  /** Requests being sent (each holds one of `concurrency` slots). */
  readonly #inFlight = new Set<Promise<void>>();
  /**
   * Claimed deliveries waiting for a slot: claims run ahead of the requests by up to one full set of
   * slots, so a freed slot takes its next delivery at once instead of after a claim query.
   */
  readonly #ready: ClaimedDelivery[] = [];
  /** Answered attempts being written. */
  readonly #recordings = new Set<Promise<void>>();
  readonly #successes: (PendingSuccess & { resolve(): void; reject(err: unknown): void })[] = [];
  #recording = false;
  #running = false;
  #loop: Promise<void> | undefined;
  #wakeUp: (() => void) | undefined;
  #woken = false;

  constructor(private readonly opts: WebhookDispatcherOptions) {
    this.policy = { ...DEFAULT_DELIVERY_POLICY, ...opts.policy };
    this.#concurrency = opts.concurrency ?? 128;
    this.#pollIntervalMs = opts.pollIntervalMs ?? 250;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  /** Stops claiming and waits for the requests in flight to be recorded; claimed but unsent deliveries are let go. */
  async stop(): Promise<void> {
    this.#running = false;
    this.wake();
    await this.#loop;
    await Promise.all(this.#inFlight);
    const unsent = this.#ready.splice(0);
    if (unsent.length > 0) {
      // Their leases would keep them from every dispatcher for a while; they were never attempted.
      await this.opts.store.releaseClaims(unsent.map((d) => d.id)).catch((err: unknown) => this.opts.logger.warn({ err, count: unsent.length }, 'could not release claimed webhook deliveries; their leases will lapse'));
    }
    await Promise.all(this.#recordings);
    this.#connections.close();
  }

  /** Claims and sends one round of due deliveries; resolves when they are all recorded (tests, sweeps). */
  async dispatchOnce(): Promise<number> {
    const claimed = await this.#claim(this.#concurrency);
    await Promise.all(claimed.map((d) => this.#deliver(d)));
    await Promise.all(this.#recordings);
    return claimed.length;
  }

  #claim(limit: number): Promise<ClaimedDelivery[]> {
    // The lease outlives a wait for a slot (behind at most `concurrency` requests, each bounded by the
    // timeout) plus the request's own bound, so no other dispatcher sends the same delivery meanwhile.
    return this.opts.store.claimDue(limit, this.policy.timeoutMs * 3 + 5_000, this.policy);
  }

  /** Sends claimed deliveries while slots are free; each finished request starts the next at once. */
  #startSends(): void {
    while (this.#running && this.#ready.length > 0 && this.#inFlight.size < this.#concurrency) {
      const delivery = this.#ready.shift()!;
      const p: Promise<void> = this.#deliver(delivery).finally(() => {
        this.#inFlight.delete(p);
        this.#startSends();
        this.wake();
      });
      this.#inFlight.add(p);
    }
  }

  async #deliver(delivery: ClaimedDelivery): Promise<void> {
    const startedAt = new Date();
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const result = await sendWebhook(
      {
        url: delivery.url,
        body: delivery.body,
        timeoutMs: this.policy.timeoutMs,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Coinstile-Webhooks/1',
          [SIGNATURE_HEADER]: signWebhookPayload(delivery.secret, delivery.body, timestamp),
          'Coinstile-Event-Id': delivery.eventId,
          'Coinstile-Event-Type': delivery.eventType,
          'Coinstile-Delivery-Id': delivery.id,
          'Coinstile-Attempt': String(delivery.attempts + 1),
        },
      },
      this.opts.ssrf,
      this.#connections,
    );
    // The request's slot is free once it is answered; its lease keeps it from other dispatchers until recorded.
    const recording: Promise<void> = this.#record(delivery, startedAt, result).finally(() => this.#recordings.delete(recording));
    this.#recordings.add(recording);
  }

  async #record(delivery: ClaimedDelivery, startedAt: Date, result: WebhookAttemptResult): Promise<void> {
    try {
      if (result.outcome === 'succeeded') {
        await this.#recordSuccess({ delivery, startedAt, result });
        return;
      }
      const next = await this.opts.store.recordAttempt(delivery, startedAt, result, this.policy);
      if (next !== 'succeeded') {
        this.opts.logger.info({ deliveryId: delivery.id, endpointId: delivery.endpointId, attempt: delivery.attempts + 1, httpStatus: result.httpStatus, error: result.error, next }, 'webhook attempt failed');
      }
    } catch (err) {
      // Unrecorded: the lease lapses and the attempt is made again (same event id); never lost.
      this.opts.logger.warn({ err, deliveryId: delivery.id }, 'could not record a webhook attempt');
    }
  }

  /**
   * Group commit of successes: the ones that arrive while a commit is running are written together by
   * the next one, so a burst of thousands of deliveries costs a handful of transactions, not thousands.
   */
  #recordSuccess(success: PendingSuccess): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#successes.push({ ...success, resolve, reject });
      // Answers read in the same turn of the event loop join this commit.
      if (!this.#recording) {
        this.#recording = true;
        setImmediate(() => void this.#flushSuccesses());
      }
    });
  }

  async #flushSuccesses(): Promise<void> {
    while (this.#successes.length > 0) {
      const batch = this.#successes.splice(0, SUCCESSES_PER_COMMIT);
      try {
        await this.opts.store.recordSuccesses(batch);
        for (const s of batch) s.resolve();
      } catch (err) {
        for (const s of batch) s.reject(err);
      }
    }
    this.#recording = false;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      this.#woken = false;
      // Room for the free slots and one full set of claimed deliveries waiting for slots.
      const room = 2 * this.#concurrency - this.#inFlight.size - this.#ready.length;
      let claimed: ClaimedDelivery[] = [];
      // Claim when a quarter of the room is free (or nothing is busy): a claim query per finished request
      // would cost more than the requests under a burst.
      if (room >= Math.ceil(this.#concurrency / 4) || (room > 0 && this.#inFlight.size === 0 && this.#ready.length === 0)) {
        try {
          claimed = await this.#claim(room);
          failures = 0;
        } catch (err) {
          failures += 1;
          if (failures === 1 || failures % 20 === 0) this.opts.logger.warn({ err, failures }, 'webhook claim failed; retrying');
          await this.#sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
          continue;
        }
        this.#ready.push(...claimed);
        this.#startSends();
      }
      if (claimed.length === 0 && !this.#woken) await this.#sleep(this.#pollIntervalMs);
      else if (claimed.length < room && !this.#woken) await this.#sleep(Math.min(50, this.#pollIntervalMs));
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      this.#wakeUp = undefined;
    });
  }
}
