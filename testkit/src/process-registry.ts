/**
 * Every child process the testkit starts is registered here, so that it is killed when the test process
 * exits without stopping it: `process.on('exit')` SIGKILLs what is left, SIGINT/SIGTERM do the same before
 * the default action, and temp dirs are removed.
 *
 * Two layers, because neither suffices alone:
 * - Inside jest these handlers never fire: a test file sees a copy of `process` with its own event
 *   emitter (jest-util createProcessObject), which the real process never emits 'exit' or signals on.
 *   What kills servers there is the kernel: they are started through `setpriv --pdeathsig SIGKILL`
 *   (managed-process.ts), so they die when the jest worker exits, normally or by SIGKILL. Their temp dirs
 *   are then swept by the next run (temp-dir.ts).
 * - Outside jest (scripts, benchmarks) the handlers run as usual, and remove the temp dirs too.
 *
 * Handlers are installed while something is registered and removed when the last entry goes, so they do
 * not pile up on a `process` object shared by many test files.
 */

interface RegisteredChild {
  readonly pid: number;
  readonly name: string;
}

const children = new Map<number, RegisteredChild>();
/** Synchronous best-effort cleanups (temp dirs) run at exit after the children are killed. */
const cleanups = new Set<() => void>();
let handlersInstalled = false;

function killAllSync(): void {
  for (const child of children.values()) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  children.clear();
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // Best effort: the process is exiting and cannot report anything useful.
    }
  }
  cleanups.clear();
}

function onExit(): void {
  killAllSync();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllSync();
  uninstallHandlers();
  // Our handler suppressed the default action; restore it unless someone else handles this signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

const onSigint = (): void => onSignal('SIGINT');
const onSigterm = (): void => onSignal('SIGTERM');

function installHandlers(): void {
  if (handlersInstalled) return;
  process.on('exit', onExit);
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  handlersInstalled = true;
}

function uninstallHandlers(): void {
  if (!handlersInstalled) return;
  process.removeListener('exit', onExit);
  process.removeListener('SIGINT', onSigint);
  process.removeListener('SIGTERM', onSigterm);
  handlersInstalled = false;
}

/** Registers a running child; returns the function that unregisters it (call it once it has exited). */
export function registerChild(child: RegisteredChild): () => void {
  children.set(child.pid, child);
  installHandlers();
  return () => {
    if (children.get(child.pid) === child) children.delete(child.pid);
    uninstallHandlersIfIdle();
  };
}

/** Registers a synchronous cleanup run at exit (e.g. removing a temp dir); returns its unregister function. */
export function registerCleanup(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  installHandlers();
  return () => {
    cleanups.delete(cleanup);
    uninstallHandlersIfIdle();
  };
}

function uninstallHandlersIfIdle(): void {
  if (children.size === 0 && cleanups.size === 0) uninstallHandlers();
}

/** Names and pids of the children still registered (for diagnostics and tests). */
export function registeredChildren(): ReadonlyArray<{ pid: number; name: string }> {
  return [...children.values()].map(({ pid, name }) => ({ pid, name }));
}
