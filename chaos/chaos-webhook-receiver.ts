import { SIGNATURE_HEADER, verifyWebhookSignature } from '@coinstile/gateway';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../merchant-payouts/test/support/pipeline-fixtures';
import type { SeededRandom } from './seeded-random';

/** One delivery as the store saw it, its signature checked with that store's secret. */
export interface CheckedDelivery {
  readonly eventId: string | undefined;
  readonly storeId: string | undefined;
  readonly rawBody: string;
  readonly signatureValid: boolean;
  /** What the receiver answered. */
  readonly answer: number | 'hang';
}

export interface ReceiverFaultWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * The stores' webhook endpoint (the payouts tests' receiver) with a bad day of its own: during outage
 * windows it answers 500 to everything; otherwise a seeded few requests get a 500 or no answer at all (the
 * dispatcher gives up after its 10 s timeout). `calm()` ends the faults for the end of the run.
 */
export class ChaosWebhookReceiver {
  readonly deliveries: CheckedDelivery[] = [];
  readonly outages: ReceiverFaultWindow[] = [];
  #calm = false;

  private constructor(
    private readonly receiver: WebhookReceiver,
    private readonly random: SeededRandom,
    private readonly secrets: () => ReadonlyMap<string, string>,
    private readonly failureRate: number,
    private readonly hangRate: number,
  ) {
    receiver.respond = (hook) => this.#respond(hook);
  }

  static async start(opts: { random: SeededRandom; secrets: () => ReadonlyMap<string, string>; failureRate: number; hangRate: number }): Promise<ChaosWebhookReceiver> {
    return new ChaosWebhookReceiver(await startWebhookReceiver(), opts.random, opts.secrets, opts.failureRate, opts.hangRate);
  }

  get url(): string {
    return this.receiver.url;
  }

  /** Answers 500 to everything from now for `durationMs`. */
  outage(durationMs: number): void {
    const now = Date.now();
    this.outages.push({ fromMs: now, toMs: now + durationMs });
  }

  calm(): void {
    this.#calm = true;
  }

  counts(): { received: number; answered500: number; hung: number; invalidSignatures: number } {
    return {
      received: this.deliveries.length,
      answered500: this.deliveries.filter((d) => d.answer === 500).length,
      hung: this.deliveries.filter((d) => d.answer === 'hang').length,
      invalidSignatures: this.deliveries.filter((d) => !d.signatureValid).length,
    };
  }

  close(): Promise<void> {
    return this.receiver.close();
  }

  #respond(hook: ReceivedWebhook): number | 'hang' {
    const answer = this.#answer(hook.receivedAt);
    this.deliveries.push({ ...this.#check(hook), rawBody: hook.rawBody, answer });
    return answer;
  }

  #answer(atMs: number): number | 'hang' {
    if (this.#calm) return 200;
    if (this.outages.some((w) => atMs >= w.fromMs && atMs < w.toMs)) return 500;
    const draw = this.random.next();
    if (draw < this.hangRate) return 'hang';
    if (draw < this.hangRate + this.failureRate) return 500;
    return 200;
  }

  /** The store named in the body picks the secret; the signature must then verify with it. */
  #check(hook: ReceivedWebhook): Pick<CheckedDelivery, 'eventId' | 'storeId' | 'signatureValid'> {
    let parsed: { id?: unknown; data?: { storeId?: unknown } };
    try {
      parsed = JSON.parse(hook.rawBody) as typeof parsed;
    } catch {
      return { eventId: undefined, storeId: undefined, signatureValid: false };
    }
    const eventId = typeof parsed.id === 'string' ? parsed.id : undefined;
    const storeId = typeof parsed.data?.storeId === 'string' ? parsed.data.storeId : undefined;
    const secret = storeId === undefined ? undefined : this.secrets().get(storeId);
    const header = hook.headers[SIGNATURE_HEADER.toLowerCase()];
    const signatureValid =
      secret !== undefined && typeof header === 'string' && verifyWebhookSignature(hook.rawBody, header, secret, { nowMs: hook.receivedAt });
    return { eventId, storeId, signatureValid };
  }
}
