/** Socket-level failures reaching PostgreSQL or Redis (Node's error codes, also on an AggregateError of several attempts). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * SQLSTATEs (five characters): class 08 connection exception, 53 insufficient resources, and 57P01–57P05
 * (admin shutdown, crash shutdown, cannot connect now, database dropped, idle session timeout).
 */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|53[0-9A-Z]{3}|57P0[1-5])$/;

/** What node-postgres and ioredis throw, without a code, when their connection is gone. */
const UNAVAILABLE_MESSAGES = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Connection terminated due to connection timeout',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
  'Connection is closed.',
  "Stream isn't writeable and enableOfflineQueue options is false",
]);

/**
 * A backing service (PostgreSQL, Redis) is down or restarting: PostgreSQL's connection-exception (08…),
 * operator-intervention (57P…: shutting down, starting up) and insufficient-resources (53…) SQLSTATEs,
 * socket errors, and the connection-gone errors of the drivers, also as the `cause` of another error. The client should retry, so 503 — not a
 * 500, which would say the request itself broke something.
 */
export function isDependencyUnavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const { code, name, message, cause } = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  if (name === 'MaxRetriesPerRequestError') return true;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.has(message)) return true;
  // Wrapped (a failed migration's cause) or several attempts at once (both address families refused).
  if (cause !== undefined && isDependencyUnavailable(cause, depth + 1)) return true;
  return err instanceof AggregateError && err.errors.some((e) => isDependencyUnavailable(e, depth + 1));
}
