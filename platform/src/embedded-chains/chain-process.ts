import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import type { Logger } from 'pino';

/**
 * A chain node started for the embedded default (litecoind, the Hardhat node). Like the embedded
 * redis-server it cannot outlive Coinstile: on Linux it runs under `setpriv --pdeathsig SIGKILL`, so the
 * kernel kills it when Coinstile dies, even by SIGKILL; elsewhere it is killed on a normal exit. It has its
 * own process group, so a terminal's Ctrl-C reaches Coinstile only, which stops the node after the
 * services that read it.
 */
export interface ChainProcess {
  readonly pid: number;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<void>;
  readonly hasExited: boolean;
  /** Signals the whole process group (ignored once it has exited). */
  signal(signal: NodeJS.Signals): void;
  /** Waits up to `graceMs` for the exit after whatever asked it to stop, then SIGKILLs the group. */
  waitForExit(graceMs: number): Promise<void>;
}

export interface LaunchChainProcessOptions {
  /** Labels the log lines, e.g. `litecoind`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** stdout and stderr go here, the file started afresh at each launch. */
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Where to look for setpriv; default `process.env.PATH`. */
  readonly searchPath: string;
  readonly logger: Logger;
}

export function launchChainProcess(opts: LaunchChainProcessOptions): ChainProcess {
  const setpriv = process.platform === 'linux' ? findExecutable('setpriv', opts.searchPath) : undefined;
  const [command, args] = setpriv
    ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', opts.command, ...opts.args]]
    : [opts.command, [...opts.args]];
  const logFd = openSync(opts.logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', logFd, logFd], detached: true });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(logFd);
  }
  const pid = child.pid ?? -1;
  let exitedFlag = false;
  const killGroup = (signal: NodeJS.Signals) => {
    if (exitedFlag || pid <= 0) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // Gone between the check and the kill.
    }
  };
  const killOnExit = () => killGroup('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => {
    const finish = () => {
      if (exitedFlag) return;
      exitedFlag = true;
      process.removeListener('exit', killOnExit);
      resolve();
    };
    child.once('error', (err) => {
      opts.logger.error({ err, command: opts.command }, `${opts.name} could not be spawned`);
      finish();
    });
    child.once('exit', (code, signal) => {
      opts.logger.info({ nodePid: pid, code, signal }, `embedded ${opts.name} exited`);
      finish();
    });
  });
  // A node left running must not hold Node's event loop open; the death signal and exit hook take it down.
  child.unref();
  return {
    pid,
    exited,
    get hasExited() {
      return exitedFlag;
    },
    signal: killGroup,
    async waitForExit(graceMs: number) {
      if (exitedFlag) return;
      child.ref();
      const timer = setTimeout(() => killGroup('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function findExecutable(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** A port free on 127.0.0.1 right now (another process may still take it before the node binds it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The last `maxBytes` of a log file, to explain a failed start ('' when it cannot be read). */
export function logTail(file: string, maxBytes = 4000): string {
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

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
