import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures, half-opens after the wait, and closes on success', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 1_000 });
    expect(breaker.tryAcquire(0)).toBe(true);
    breaker.recordFailure(0);
    expect(breaker.state).toEqual({ status: 'closed', consecutiveFailures: 1 });
    breaker.recordFailure(10);
    expect(breaker.state).toEqual({ status: 'open', openedAtMs: 10, retryAtMs: 1_010, consecutiveFailures: 2 });
    expect(breaker.tryAcquire(1_009)).toBe(false);
    expect(breaker.tryAcquire(1_010)).toBe(true);
    expect(breaker.state.status).toBe('half_open');
    expect(breaker.tryAcquire(1_011)).toBe(false);
    breaker.recordSuccess();
    expect(breaker.state).toEqual({ status: 'closed', consecutiveFailures: 0 });
  });

  it('re-opens when the half-open trial fails', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 100 });
    breaker.recordFailure(0);
    expect(breaker.tryAcquire(100)).toBe(true);
    breaker.recordFailure(150);
    expect(breaker.state).toEqual({ status: 'open', openedAtMs: 150, retryAtMs: 250, consecutiveFailures: 2 });
  });

  it('a success resets the failure count', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 100 });
    breaker.recordFailure(0);
    breaker.recordSuccess();
    breaker.recordFailure(1);
    expect(breaker.state.status).toBe('closed');
  });
});
