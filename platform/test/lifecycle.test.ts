import { EventEmitter } from 'node:events';
import { createLogger, Lifecycle, type LifecycleComponent } from '../src';

const logger = createLogger({ logLevel: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Lifecycle', () => {
  it('stops components in reverse registration order and reports a clean shutdown', async () => {
    const order: string[] = [];
    const lifecycle = new Lifecycle({ logger, shutdownTimeoutMs: 5_000 });
    for (const name of ['redis', 'queue', 'worker', 'http']) {
      lifecycle.register({ name, stop: async () => void order.push(name) });
    }
    expect(lifecycle.state).toBe('running');
    const shutdown = lifecycle.shutdown('test');
    expect(lifecycle.isShuttingDown).toBe(true);
    expect(lifecycle.shutdown('again')).toBe(shutdown);
    const report = await shutdown;
    expect(order).toEqual(['http', 'worker', 'queue', 'redis']);
    expect(report).toMatchObject({ reason: 'test', clean: true });
    expect(report.components.map((c) => c.outcome)).toEqual(['stopped', 'stopped', 'stopped', 'stopped']);
    expect(lifecycle.state).toBe('stopped');
    expect(() => lifecycle.register({ name: 'late', stop: async () => undefined })).toThrow(/shutdown has begun/);
  });

  it('bounds each step: a hung component is aborted and forced, the next ones still stop', async () => {
    const events: string[] = [];
    const lifecycle = new Lifecycle({ logger, shutdownTimeoutMs: 5_000 });
    lifecycle.register({ name: 'db', stop: async () => void events.push('db stopped') });
    const hung: LifecycleComponent = {
      name: 'hung',
      timeoutMs: 200,
      stop: (signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => events.push('hung aborted'));
        }),
      forceStop: () => void events.push('hung forced'),
    };
    lifecycle.register(hung);
    lifecycle.register({ name: 'broken', stop: async () => Promise.reject(new Error('socket exploded')) });
    const started = Date.now();
    const report = await lifecycle.shutdown('test');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(report.clean).toBe(false);
    expect(report.components).toEqual([
      expect.objectContaining({ name: 'broken', outcome: 'failed', error: 'socket exploded' }),
      expect.objectContaining({ name: 'hung', outcome: 'timed_out' }),
      expect.objectContaining({ name: 'db', outcome: 'stopped' }),
    ]);
    expect(events).toEqual(['hung aborted', 'hung forced', 'db stopped']);
  });

  it('keeps the whole shutdown within shutdownTimeoutMs', async () => {
    const lifecycle = new Lifecycle({ logger, shutdownTimeoutMs: 300 });
    for (const name of ['a', 'b', 'c']) lifecycle.register({ name, stop: async () => void (await sleep(250)) });
    const started = Date.now();
    const report = await lifecycle.shutdown('test');
    expect(Date.now() - started).toBeLessThan(450);
    expect(report.components.map((c) => c.outcome)).toEqual(['stopped', 'timed_out', 'timed_out']);
  });

  it('waits readinessDrainMs before stopping anything', async () => {
    let stoppedAt = 0;
    const lifecycle = new Lifecycle({ logger, shutdownTimeoutMs: 2_000, readinessDrainMs: 200 });
    lifecycle.register({ name: 'http', stop: async () => void (stoppedAt = Date.now()) });
    const started = Date.now();
    await lifecycle.shutdown('test');
    expect(stoppedAt - started).toBeGreaterThanOrEqual(195);
  });

  it('shuts down on the first signal, exits when done, and exits at once on a second signal', async () => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    const lifecycle = new Lifecycle({ logger, shutdownTimeoutMs: 2_000 });
    let finishStop: () => void = () => undefined;
    lifecycle.register({ name: 'slow', stop: () => new Promise<void>((resolve) => (finishStop = resolve)) });
    const uninstall = lifecycle.installSignalHandlers(signals, (code) => exits.push(code));

    signals.emit('SIGTERM');
    expect(lifecycle.isShuttingDown).toBe(true);
    await sleep(20);
    expect(exits).toEqual([]);
    signals.emit('SIGINT');
    expect(exits).toEqual([130]);
    finishStop();
    await sleep(20);
    expect(exits).toEqual([130, 0]);

    uninstall();
    expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT')).toBe(0);
  });

  it('exits with 1 when a component did not stop cleanly', async () => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    const lifecycle = new Lifecycle({ logger, shutdownTimeoutMs: 2_000 });
    lifecycle.register({ name: 'broken', stop: async () => Promise.reject(new Error('nope')) });
    lifecycle.installSignalHandlers(signals, (code) => exits.push(code));
    signals.emit('SIGTERM');
    await sleep(20);
    expect(exits).toEqual([1]);
  });
});
