/** A webhook endpoint as the API shows it (the secret only once, at creation). */
export interface WebhookEndpointView {
  readonly id: string;
  readonly url: string;
  readonly description: string;
  /** Event types delivered; empty means every type. */
  readonly eventTypes: readonly string[];
  readonly status: 'enabled' | 'disabled';
  readonly disabledReason: string | null;
  readonly createdAt: string;
}

export interface WebhookAttemptView {
  readonly attempt: number;
  readonly startedAt: string;
  readonly outcome: 'succeeded' | 'failed';
  readonly httpStatus: number | null;
  readonly latencyMs: number;
  readonly responseBody: string | null;
  readonly error: string | null;
}

export interface WebhookDeliveryView {
  readonly id: string;
  readonly endpointId: string;
  readonly eventId: string;
  readonly eventType: string;
  /** `pending` (more attempts to come), `succeeded`, or `failed` (retries exhausted). */
  readonly status: 'pending' | 'succeeded' | 'failed';
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly lastAttemptAt: string | null;
  readonly lastHttpStatus: number | null;
  readonly createdAt: string;
  readonly attemptLog?: readonly WebhookAttemptView[];
}
