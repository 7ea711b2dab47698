/**
 * The BullMQ job id of an outbox event: the event id itself, so publishing an event again is a no-op
 * while the job is retained. BullMQ refuses `:` in custom ids and ids that look like integers, so `%`
 * and `:` are percent-encoded (reversibly) and an all-digit id gets a `%` in front.
 */
export function jobIdForEvent(eventId: string): string {
  if (eventId.length === 0) throw new RangeError('an outbox event id cannot be empty');
  const encoded = eventId.replaceAll('%', '%25').replaceAll(':', '%3A');
  return /^[0-9]+$/.test(encoded) ? `%${encoded}` : encoded;
}

/** The event id a job id was made from (inverse of `jobIdForEvent`). */
export function eventIdFromJobId(jobId: string): string {
  const body = /^%[0-9]+$/.test(jobId) ? jobId.slice(1) : jobId;
  return body.replaceAll('%3A', ':').replaceAll('%25', '%');
}
