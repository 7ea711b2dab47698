import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, fstatSync } from 'node:fs';
import { registerChild } from './process-registry';
import { ServerStartError } from './server-start-error';

export interface ManagedProcessOptions {
  /** Shown in errors and in the process registry, e.g. `postgres`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** stdout and stderr are appended here; errors quote its tail. */
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Run as this user/group (only when the test process is root). */
  readonly uid?: number;
  readonly gid?: number;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((candidate) => existsSync(candidate));

/**
 * A long-running child (a server), its output in a log file, registered so it dies with the test process.
 *
 * It is started through `setpriv --pdeathsig SIGKILL`, which sets PR_SET_PDEATHSIG and then execs the
 * server in the same process: whenever the test process exits (normally, or a jest worker killed with
 * SIGKILL, where no handler of ours runs) the kernel kills the server too. The setting survives our uid change because the change happens first, in
 * the forked child before `setpriv` runs (the kernel clears PR_SET_PDEATHSIG on credential changes, so the
 * order matters), and the servers are not set-uid binaries (an exec of those would clear it as well).
 */
export class ManagedProcess {
  readonly pid: number;
  readonly name: string;
  readonly logFile: string;
  /** Resolves when the process has exited (never rejects; a spawn failure is an exit with code null). */
  readonly exited: Promise<ProcessExit>;
  private exitInfo: ProcessExit | undefined;
  private spawnError: Error | undefined;

  private constructor(
    private readonly child: ChildProcess,
    options: ManagedProcessOptions,
  ) {
    this.name = options.name;
    this.logFile = options.logFile;
    this.pid = child.pid ?? -1;
    const unregister = this.pid > 0 ? registerChild({ pid: this.pid, name: options.name }) : () => undefined;
    this.exited = new Promise((resolve) => {
      const finish = (exit: ProcessExit): void => {
        if (this.exitInfo !== undefined) return;
        this.exitInfo = exit;
        unregister();
        resolve(exit);
      };
      child.once('error', (error) => {
        this.spawnError = error;
        finish({ code: null, signal: null });
      });
      child.once('exit', (code, signal) => finish({ code, signal }));
    });
  }

  static start(options: ManagedProcessOptions): ManagedProcess {
    const logFd = openSync(options.logFile, 'a');
    const [command, args] =
      SETPRIV === undefined
        ? [options.command, options.args]
        : [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', options.command, ...options.args]];
    const asUser = process.getuid?.() === 0 && options.uid !== undefined;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', logFd, logFd],
      ...(asUser ? { uid: options.uid, gid: options.gid } : {}),
    });
    // The child has its own copy of the descriptor.
    closeSync(logFd);
    // A server left running must not keep the test process alive (jest would wait forever in band);
    // when the test process exits, PR_SET_PDEATHSIG takes the server down with it.
    child.unref();
    return new ManagedProcess(child, options);
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** Why the process is gone, for error messages. */
  describeExit(): string {
    if (this.spawnError !== undefined) return `could not be started: ${this.spawnError.message}`;
    if (this.exitInfo === undefined) return 'is running';
    const { code, signal } = this.exitInfo;
    return signal !== null ? `was killed by ${signal}` : `exited with code ${String(code)}`;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.hasExited) return;
    // Whoever signals waits for the exit: keep the event loop alive until it comes.
    this.child.ref();
    try {
      process.kill(this.pid, signal);
    } catch {
      // It exited between the check and the kill.
    }
  }

  async kill9(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  /** Sends `signal`, waits up to `graceMs` for the exit, then SIGKILLs. */
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    if (this.hasExited) return;
    this.signal(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') await this.kill9();
  }

  logTail(maxBytes = 4000): string {
    return readTail(this.logFile, maxBytes);
  }

  /**
   * Polls `probe` until it returns true. Throws a {@link ServerStartError} with the log tail if the process
   * exits first or `timeoutMs` passes (and then kills the process, so a failed start leaves nothing behind).
   */
  async waitUntilReady(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastProbeError: unknown;
    for (;;) {
      if (this.hasExited) throw this.startError(`${this.name} ${this.describeExit()} before it was ready`);
      try {
        if (await probe()) return;
      } catch (error) {
        lastProbeError = error;
      }
      if (Date.now() > deadline) {
        await this.kill9();
        const reason = lastProbeError instanceof Error ? ` (last probe error: ${lastProbeError.message})` : '';
        throw this.startError(`${this.name} was not ready after ${timeoutMs} ms${reason}`);
      }
      await delay(30);
    }
  }

  startError(message: string): ServerStartError {
    return new ServerStartError(message, this.logFile, this.logTail());
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function readTail(file: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
