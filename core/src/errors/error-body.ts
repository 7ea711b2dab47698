import { isDomainError } from './domain-error';

/** The public API's error envelope. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/**
 * The JSON body for any thrown value. Domain errors keep their code, message and details; anything else
 * is a bug or an I/O failure whose message may leak internals, so it becomes a bare `internal_error`.
 */
export function toErrorBody(err: unknown): ErrorBody {
  if (!isDomainError(err)) {
    return { error: { code: 'internal_error', message: 'Internal error' } };
  }
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (err.details !== undefined) body.error.details = err.details;
  return body;
}

/** The HTTP status for any thrown value: the domain error's own, 500 otherwise. */
export function httpStatusOf(err: unknown): number {
  return isDomainError(err) ? err.httpStatus : 500;
}
