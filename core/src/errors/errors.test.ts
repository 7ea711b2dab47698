import {
  ConflictError,
  ForbiddenError,
  IdempotencyConflictError,
  NotFoundError,
  RateLimitedError,
  RatesUnavailableError,
  UnauthenticatedError,
  ValidationError,
} from './api-errors';
import { isDomainError, type DomainError } from './domain-error';
import { AssetNotAcceptedError, StoreNotActiveError } from './domain-rule-errors';
import { httpStatusOf, toErrorBody } from './error-body';

test.each<[DomainError, number, string]>([
  [new ValidationError('bad', { field: 'amount' }), 400, 'validation_failed'],
  [new UnauthenticatedError(), 401, 'unauthenticated'],
  [new ForbiddenError(), 403, 'forbidden'],
  [new NotFoundError('checkout', 'co_1'), 404, 'not_found'],
  [new ConflictError('dup'), 409, 'conflict'],
  [new IdempotencyConflictError('k1'), 409, 'idempotency_key_reused'],
  [new StoreNotActiveError('st_1', 'pending_verification'), 422, 'store_not_active'],
  [new AssetNotAcceptedError('st_1', 'LTC'), 422, 'asset_not_accepted'],
  [new RateLimitedError(3), 429, 'rate_limited'],
  [new RatesUnavailableError(), 503, 'rates_unavailable'],
])('%p → %i %s', (err, status, code) => {
  expect(err).toBeInstanceOf(Error);
  expect(isDomainError(err)).toBe(true);
  expect(err.httpStatus).toBe(status);
  expect(err.code).toBe(code);
  expect(err.name).toBe(err.constructor.name);
  expect(httpStatusOf(err)).toBe(status);
  expect(toErrorBody(err).error.code).toBe(code);
});

test('toErrorBody keeps details and omits them when absent', () => {
  expect(toErrorBody(new ValidationError('Amount is bad', { field: 'amount' }))).toEqual({
    error: { code: 'validation_failed', message: 'Amount is bad', details: { field: 'amount' } },
  });
  expect(toErrorBody(new UnauthenticatedError())).toEqual({
    error: { code: 'unauthenticated', message: 'Authentication required' },
  });
});

test('anything else is a bare internal_error that leaks nothing', () => {
  expect(toErrorBody(new Error('password=hunter2'))).toEqual({ error: { code: 'internal_error', message: 'Internal error' } });
  expect(toErrorBody('boom')).toEqual({ error: { code: 'internal_error', message: 'Internal error' } });
  expect(httpStatusOf(new TypeError('x'))).toBe(500);
});
