import { UnrecoverableError } from 'bullmq';

export type PipelineRefusalReason = 'unknown_checkout' | 'checkout_not_settled' | 'bad_event' | 'not_released' | 'unknown_store';

/**
 * A job that can never succeed, however often it is retried: the event names a checkout that does not
 * exist, is not settled, or is malformed. Workers turn it into BullMQ's `UnrecoverableError` (failed at
 * once, kept for the operator) instead of burning retries.
 */
export class PipelineRefusedError extends Error {
  constructor(
    readonly reason: PipelineRefusalReason,
    message: string,
    readonly subjectId?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Runs a processor step, failing the job for good on a `PipelineRefusedError` (other errors are retried). */
export async function refusalsAreFinal<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof PipelineRefusedError) throw new UnrecoverableError(`${err.reason}: ${err.message}`);
    throw err;
  }
}
