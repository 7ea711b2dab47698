import { isDependencyUnavailable } from './dependency-unavailable';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDependencyUnavailable', () => {
  it.each([
    ['57P01', 'admin_shutdown: terminating connection due to administrator command'],
    ['57P02', 'crash_shutdown'],
    ['57P03', 'cannot_connect_now: the database system is starting up'],
    ['08006', 'connection_failure'],
    ['08003', 'connection_does_not_exist'],
    ['53300', 'too_many_connections'],
    ['ECONNREFUSED', 'socket refused'],
  ])('is true for %s (%s)', (code) => {
    expect(isDependencyUnavailable(withCode(code))).toBe(true);
  });

  it.each([
    ['23505', 'unique_violation'],
    ['22P02', 'invalid_text_representation'],
    ['40001', 'serialization_failure'],
    ['57014', 'query_canceled (statement timeout)'],
    ['57P0', 'truncated'],
    ['0800', 'truncated'],
    ['57P011', 'too long'],
  ])('is false for %s (%s)', (code) => {
    expect(isDependencyUnavailable(withCode(code))).toBe(false);
  });

  it('sees the drivers’ connection-gone messages, a wrapped cause and an AggregateError of attempts', () => {
    expect(isDependencyUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDependencyUnavailable(new Error('migration failed', { cause: withCode('57P03') }))).toBe(true);
    expect(isDependencyUnavailable(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]))).toBe(true);
    expect(isDependencyUnavailable(new Error('TypeError somewhere'))).toBe(false);
    expect(isDependencyUnavailable(undefined)).toBe(false);
    expect(isDependencyUnavailable('ECONNREFUSED')).toBe(false);
  });
});
