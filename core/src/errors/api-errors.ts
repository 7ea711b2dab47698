import { DomainError } from './domain-error';

/** Bad input: a field is missing, malformed or out of range. 400. */
export class ValidationError extends DomainError {
  readonly httpStatus = 400;
  readonly code: string;

  /** `code` defaults to `validation_failed`; subclasses narrow it (e.g. `invalid_amount`). */
  constructor(message: string, details?: unknown, code = 'validation_failed') {
    super(message, details);
    this.code = code;
  }
}

/** No credentials, or credentials that do not identify anyone. 401. */
export class UnauthenticatedError extends DomainError {
  readonly httpStatus = 401;
  readonly code = 'unauthenticated';
  constructor(message = 'Authentication required') {
    super(message);
  }
}

/** Authenticated, but the credentials lack the scope or ownership the action needs. 403. */
export class ForbiddenError extends DomainError {
  readonly httpStatus = 403;
  readonly code = 'forbidden';
  constructor(message = 'Not allowed', details?: unknown) {
    super(message, details);
  }
}

/** The resource does not exist or is not visible to the caller. 404. */
export class NotFoundError extends DomainError {
  readonly httpStatus = 404;
  readonly code = 'not_found';
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${id} not found`, { resource, id });
  }
}

/** The request collides with the current state of a resource (duplicate, concurrent change). 409. */
export class ConflictError extends DomainError {
  readonly httpStatus = 409;
  readonly code: string;
  constructor(message: string, details?: unknown, code = 'conflict') {
    super(message, details);
    this.code = code;
  }
}

/** An `Idempotency-Key` was reused with a different request body or endpoint. 409. */
export class IdempotencyConflictError extends ConflictError {
  constructor(readonly idempotencyKey: string) {
    super(
      'This Idempotency-Key was already used with a different request',
      { idempotencyKey },
      'idempotency_key_reused',
    );
  }
}

/**
 * Well-formed input that a business rule refuses (cancel a paid checkout, sell through an inactive
 * store). 422. Subclasses fix the `code`.
 */
export abstract class DomainRuleError extends DomainError {
  readonly httpStatus = 422;
}

/** The caller exceeded its request budget. 429. */
export class RateLimitedError extends DomainError {
  readonly httpStatus = 429;
  readonly code = 'rate_limited';
  constructor(readonly retryAfterSeconds: number) {
    super('Too many requests', { retryAfterSeconds });
  }
}

/** No fresh exchange rate is available, so no quote can be locked. 503: retry later. */
export class RatesUnavailableError extends DomainError {
  readonly httpStatus = 503;
  readonly code = 'rates_unavailable';
  constructor(message = 'Exchange rates are unavailable', details?: unknown) {
    super(message, details);
  }
}
