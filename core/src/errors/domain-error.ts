/**
 * Base of every error the domain raises on purpose. `code` is the snake_case code the public API puts
 * in `{"error": {"code": …}}` and `httpStatus` the status it answers with, so adapters never have to
 * guess how to map a domain failure to HTTP.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: number;
  /** Machine-readable context for the caller (field errors, ids, limits). Must be JSON-serialisable. */
  readonly details: unknown;

  protected constructor(message: string, details?: unknown) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** True for any error raised by the domain on purpose (as opposed to a bug or an I/O failure). */
export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
