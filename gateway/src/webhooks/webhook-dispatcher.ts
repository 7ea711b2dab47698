import type { Logger } from 'pino';
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from './delivery-policy';
import { sendWebhook } from './webhook-sender';
import { signWebhookPayload, SIGNATURE_HEADER } from './webhook-signature';
import type { SsrfPolicy } from './ssrf-guard';
import type { ClaimedDelivery, WebhookStore } from './webhook-store';

export interface WebhookDispatcherOptions {
  readonly store: WebhookStore;
  readonly ssrf: SsrfPolicy;
  readonly logger: Logger;
  readonly policy?: Partial<DeliveryPolicy>;
  /** Requests in flight at once; default 32. */
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
  readonly #inFlight = new Set<Promise<void>>();
  #running = false;
  #loop: Promise<void> | undefined;
  #wakeUp: (() => void) | undefined;
  #woken = false;

  constructor(private readonly opts: WebhookDispatcherOptions) {
    this.policy = { ...DEFAULT_DELIVERY_POLICY, ...opts.policy };
    this.#concurrency = opts.concurrency ?? 32;
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

  /** Stops claiming and waits for the requests in flight to be recorded. */
  async stop(): Promise<void> {
    this.#running = false;
    this.wake();
    await this.#loop;
    await Promise.all(this.#inFlight);
  }

  /** Claims and sends one round of due deliveries; resolves when they are all recorded (tests, sweeps). */
  async dispatchOnce(): Promise<number> {
    const claimed = await this.#claim(this.#concurrency);
    await Promise.all(claimed.map((d) => this.#deliver(d)));
    return claimed.length;
  }

  #claim(limit: number): Promise<ClaimedDelivery[]> {
    // The lease outlives the request bound, so no other dispatcher sends the same delivery meanwhile.
    return this.opts.store.claimDue(limit, this.policy.timeoutMs * 2 + 5_000, this.policy.headOfLineAttempts);
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
    );
    try {
      const next = await this.opts.store.recordAttempt(delivery, startedAt, result, this.policy);
      if (next !== 'succeeded') {
        this.opts.logger.info({ deliveryId: delivery.id, endpointId: delivery.endpointId, attempt: delivery.attempts + 1, httpStatus: result.httpStatus, error: result.error, next }, 'webhook attempt failed');
      }
    } catch (err) {
      // Unrecorded: the lease lapses and the attempt is made again (same event id); never lost.
      this.opts.logger.warn({ err, deliveryId: delivery.id }, 'could not record a webhook attempt');
    }
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      this.#woken = false;
      const free = this.#concurrency - this.#inFlight.size;
      let claimed: ClaimedDelivery[] = [];
      if (free > 0) {
        try {
          claimed = await this.#claim(free);
          failures = 0;
        } catch (err) {
          failures += 1;
          if (failures === 1 || failures % 20 === 0) this.opts.logger.warn({ err, failures }, 'webhook claim failed; retrying');
          await this.#sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
          continue;
        }
        for (const delivery of claimed) {
          const p: Promise<void> = this.#deliver(delivery).finally(() => {
            this.#inFlight.delete(p);
            this.wake();
          });
          this.#inFlight.add(p);
        }
      }
      if (claimed.length === 0 && !this.#woken) await this.#sleep(this.#pollIntervalMs);
      else if (claimed.length < free && !this.#woken) await this.#sleep(Math.min(50, this.#pollIntervalMs));
      else if (free <= 0) await this.#sleep(this.#pollIntervalMs);
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
