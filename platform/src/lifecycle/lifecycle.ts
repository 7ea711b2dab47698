import type { Logger } from 'pino';

/** `running` → `shutting_down` (readiness already 503) → `stopped`. */
export type LifecycleState = 'running' | 'shutting_down' | 'stopped';

/**
 * Something that must be stopped on shutdown. Components are registered in start order and stopped in
 * reverse, so the HTTP server (started last) stops accepting first and the stores it needs go last.
 */
export interface LifecycleComponent {
  readonly name: string;
  /** Graceful stop: let in-flight work finish. Aborted (`signal`) when its time is up. */
  stop(signal: AbortSignal): Promise<void>;
  /** Called when `stop` overran its bound: drop in-flight work now. */
  forceStop?(): Promise<void> | void;
  /** Bound for `stop`; default (and at most) what is left of the total shutdown bound. */
  readonly timeoutMs?: number;
}

export type ComponentOutcome = 'stopped' | 'timed_out' | 'failed';

export interface ShutdownReport {
  readonly reason: string;
  readonly durationMs: number;
  readonly components: readonly { name: string; outcome: ComponentOutcome; durationMs: number; error?: string }[];
  /** Every component stopped gracefully within its bound. */
  readonly clean: boolean;
}

/** What the process-signal wiring needs from `process`; tests pass an EventEmitter. */
export interface SignalSource {
  on(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  removeListener(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
}

export interface LifecycleOptions {
  readonly logger: Logger;
  /** Bound on the whole shutdown (`SHUTDOWN_TIMEOUT_MS`). */
  readonly shutdownTimeoutMs: number;
  /**
   * How long to keep serving (with readiness already 503) before stopping components, so load balancers
   * see the 503 and stop routing here before connections are refused. Counts against the total bound.
   * Default 0.
   */
  readonly readinessDrainMs?: number;
}

/** Readiness as the health router sees it. */
export interface ReadinessSource {
  readonly isShuttingDown: boolean;
}

/** Stops registered components, in reverse start order, each bounded, all within `shutdownTimeoutMs`. */
export class Lifecycle implements ReadinessSource {
  private readonly components: LifecycleComponent[] = [];
  private currentState: LifecycleState = 'running';
  private shutdownPromise: Promise<ShutdownReport> | undefined;

  constructor(private readonly opts: LifecycleOptions) {}

  get state(): LifecycleState {
    return this.currentState;
  }

  get isShuttingDown(): boolean {
    return this.currentState !== 'running';
  }

  /** Register right after starting the component, so registration order is start order. */
  register(component: LifecycleComponent): void {
    if (this.isShuttingDown) throw new Error(`cannot register ${component.name}: shutdown has begun`);
    this.components.push(component);
  }

  /** Starts the shutdown (or returns the one under way). Readiness is 503 from the first call. */
  shutdown(reason: string): Promise<ShutdownReport> {
    this.shutdownPromise ??= this.runShutdown(reason);
    return this.shutdownPromise;
  }

  /**
   * SIGTERM/SIGINT start the shutdown, then `exit(0)` (or `exit(1)` if a component overran or failed);
   * a second signal exits at once with 130. Returns a function removing the handlers.
   */
  installSignalHandlers(signals: SignalSource = process, exit: (code: number) => void = (code) => process.exit(code)): () => void {
    let received = 0;
    const onSignal = (name: 'SIGTERM' | 'SIGINT') => () => {
      received += 1;
      if (received > 1) {
        this.opts.logger.warn({ signal: name }, 'second signal: exiting without waiting for shutdown');
        exit(130);
        return;
      }
      this.opts.logger.info({ signal: name }, 'shutting down');
      // Each step is bounded already; this guards against a component ignoring its abort signal.
      const backstop = setTimeout(() => {
        this.opts.logger.error('shutdown overran its bound: exiting');
        exit(1);
      }, this.opts.shutdownTimeoutMs + 1_000);
      backstop.unref();
      void this.shutdown(name).then((report) => {
        clearTimeout(backstop);
        exit(report.clean ? 0 : 1);
      });
    };
    const onTerm = onSignal('SIGTERM');
    const onInt = onSignal('SIGINT');
    signals.on('SIGTERM', onTerm);
    signals.on('SIGINT', onInt);
    return () => {
      signals.removeListener('SIGTERM', onTerm);
      signals.removeListener('SIGINT', onInt);
    };
  }

  private async runShutdown(reason: string): Promise<ShutdownReport> {
    this.currentState = 'shutting_down';
    const startedAt = Date.now();
    const deadline = startedAt + this.opts.shutdownTimeoutMs;
    const results: { name: string; outcome: ComponentOutcome; durationMs: number; error?: string }[] = [];
    const drainMs = Math.min(this.opts.readinessDrainMs ?? 0, this.opts.shutdownTimeoutMs);
    if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
    for (const component of [...this.components].reverse()) {
      const remaining = Math.max(0, deadline - Date.now());
      const bound = Math.min(component.timeoutMs ?? remaining, remaining);
      const stepStart = Date.now();
      const result = await stopWithin(component, bound);
      const durationMs = Date.now() - stepStart;
      results.push({ name: component.name, durationMs, ...result });
      const log = { component: component.name, outcome: result.outcome, durationMs, error: result.error };
      if (result.outcome === 'stopped') this.opts.logger.info(log, 'component stopped');
      else this.opts.logger.warn(log, 'component did not stop cleanly');
    }
    this.currentState = 'stopped';
    const report: ShutdownReport = {
      reason,
      durationMs: Date.now() - startedAt,
      components: results,
      clean: results.every((r) => r.outcome === 'stopped'),
    };
    this.opts.logger.info({ reason, durationMs: report.durationMs, clean: report.clean }, 'shutdown complete');
    return report;
  }
}

async function stopWithin(
  component: LifecycleComponent,
  boundMs: number,
): Promise<{ outcome: ComponentOutcome; error?: string }> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed_out'>((resolve) => {
    timer = setTimeout(() => resolve('timed_out'), boundMs);
  });
  try {
    const outcome = await Promise.race([component.stop(controller.signal).then(() => 'stopped' as const), timedOut]);
    if (outcome === 'stopped') return { outcome };
    controller.abort();
    await forceStop(component);
    return { outcome, error: `did not stop within ${boundMs} ms` };
  } catch (err) {
    await forceStop(component);
    return { outcome: 'failed', error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Forcing is itself bounded: a component that cannot even be forced must not hold the process. */
const FORCE_STOP_BOUND_MS = 1_000;

async function forceStop(component: LifecycleComponent): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve(component.forceStop?.()),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, FORCE_STOP_BOUND_MS);
      }),
    ]);
  } catch {
    // Best effort: the process is going away and the graceful step's outcome is already recorded.
  } finally {
    clearTimeout(timer);
  }
}
