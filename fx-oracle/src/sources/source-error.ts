import type { SourceId } from '../observation';

/**
 * Why a source produced no usable value. `error_body`: the exchange answered (often HTTP 200) with its
 * own error object; `malformed`: not JSON/XML, or a field missing or of the wrong type; `invalid_value`:
 * the value parsed but is zero, negative or not finite.
 */
export type SourceErrorKind = 'timeout' | 'network' | 'http_status' | 'error_body' | 'malformed' | 'invalid_value';

/** A failed fetch or a rejected value from one source. Never a number: callers cannot mistake it for a rate. */
export class SourceError extends Error {
  constructor(
    readonly source: SourceId,
    readonly kind: SourceErrorKind,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(`${source}: ${message}`);
    this.name = 'SourceError';
  }
}
