import { backoffDelayMs, sleep } from './backoff';

test('backoff doubles its ceiling per failure up to the maximum, jittered from the minimum', () => {
  expect(backoffDelayMs(1, 250, 10_000, () => 1)).toBe(250);
  expect(backoffDelayMs(2, 250, 10_000, () => 1)).toBe(500);
  expect(backoffDelayMs(4, 250, 10_000, () => 1)).toBe(2_000);
  expect(backoffDelayMs(50, 250, 10_000, () => 1)).toBe(10_000);
  expect(backoffDelayMs(50, 250, 10_000, () => 0)).toBe(250);
  expect(backoffDelayMs(6, 250, 10_000, () => 0.5)).toBe(Math.round(250 + 0.5 * (8_000 - 250)));
});

test('sleep ends early when aborted', async () => {
  const controller = new AbortController();
  const started = Date.now();
  const done = sleep(10_000, controller.signal);
  controller.abort();
  await done;
  expect(Date.now() - started).toBeLessThan(1_000);
});
