import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** `redis-server` is not on PATH: the embedded default cannot start its queue store. */
export class RedisServerMissingError extends Error {
  override readonly name = 'RedisServerMissingError';
  constructor() {
    super(
      'redis-server was not found on PATH. Install it (Debian/Ubuntu: sudo apt-get install redis-server; ' +
        'macOS: brew install redis) or set REDIS_URL to an existing Redis (redis://host:6379).',
    );
  }
}

/** The embedded redis-server did not come up (it exited, or did not answer PING in time). */
export class EmbeddedRedisStartError extends Error {
  override readonly name = 'EmbeddedRedisStartError';
}

export interface EmbeddedRedis {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** SHUTDOWN (AOF flushed), then SIGKILL if it has not exited within the bound. Idempotent. */
  stop(): Promise<void>;
}

export interface StartEmbeddedRedisOptions {
  /** Where to look for redis-server and setpriv; default `process.env.PATH`. */
  readonly path?: string;
  /** How long to wait for the first PING; default 10 s. */
  readonly startTimeoutMs?: number;
  /** How long `stop()` waits after SHUTDOWN before SIGKILL; default 5 s. */
  readonly stopTimeoutMs?: number;
}

/**
 * Starts a private redis-server for the embedded default: 127.0.0.1 only, a free port, data (AOF,
 * fsync every second, never evicting) in `<dataDir>/redis`. It cannot outlive this process: on Linux
 * it is spawned through `setpriv --pdeathsig SIGKILL`, so the kernel kills it when Coinstile dies,
 * even by SIGKILL; elsewhere it is killed on process exit.
 */
export async function startEmbeddedRedis(
  dataDir: string,
  logger: Logger,
  opts: StartEmbeddedRedisOptions = {},
): Promise<EmbeddedRedis> {
  const searchPath = opts.path ?? process.env.PATH ?? '';
  const redisServer = findExecutable('redis-server', searchPath);
  if (!redisServer) throw new RedisServerMissingError();
  const setpriv = process.platform === 'linux' ? findExecutable('setpriv', searchPath) : undefined;

  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  let useSetpriv = setpriv !== undefined;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const launch = launchRedisServer({ redisServer, setpriv: useSetpriv ? setpriv : undefined, dir, port, logger });
    try {
      await waitForPing(port, launch.child, opts.startTimeoutMs ?? 10_000);
    } catch (err) {
      launch.kill();
      await launch.exited;
      const log = launch.tail.join('\n');
      const message = `embedded redis-server did not start: ${(err as Error).message}${log ? `\n${log}` : ''}`;
      if (attempt < 3 && /Address already in use/i.test(log)) continue; // lost the race for the free port
      if (attempt < 3 && useSetpriv && /setpriv/i.test(log)) {
        logger.warn({ log }, 'setpriv --pdeathsig failed; embedded redis-server will only be stopped on a clean exit');
        useSetpriv = false;
        continue;
      }
      throw new EmbeddedRedisStartError(message);
    }
    const url = `redis://127.0.0.1:${port}`;
    logger.info({ pid: launch.pid, url, dir, deathSignal: useSetpriv }, 'embedded redis-server started');
    return { url, port, pid: launch.pid, stop: stopper(launch, port, opts.stopTimeoutMs ?? 5_000) };
  }
}

interface LaunchedRedis {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited (and been reaped). */
  readonly exited: Promise<void>;
  /** Last lines of redis-server's own log, to explain a failed start. */
  readonly tail: string[];
  /** SIGKILL if still running. */
  kill(): void;
}

function launchRedisServer(p: { redisServer: string; setpriv: string | undefined; dir: string; port: number; logger: Logger }): LaunchedRedis {
  const redisArgs = [
    '--bind', '127.0.0.1',
    '--port', String(p.port),
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    '--dir', p.dir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--maxmemory-policy', 'noeviction',
    '--save', '',
    '--logfile', '',
  ];
  const [command, args] = p.setpriv
    ? [p.setpriv, ['--pdeathsig', 'SIGKILL', '--', p.redisServer, ...redisArgs]]
    : [p.redisServer, redisArgs];
  // Its own process group: a terminal's Ctrl-C signals the whole foreground group, and redis-server must
  // not stop before the workers that use it have drained. It still dies with Coinstile (pdeathsig, exit hook).
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const pid = child.pid;
  if (pid === undefined) throw new EmbeddedRedisStartError(`could not spawn ${command}`);

  const tail: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) tail.push(line.trim());
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  // The fallback where no death signal is available: at least a normal exit of Node takes it along.
  process.once('exit', kill);
  // 'close' comes after 'exit' once stdout/stderr are drained, so the log tail is complete.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('exit', (code, signal) => {
    process.removeListener('exit', kill);
    p.logger.info({ pid, code, signal }, 'embedded redis-server exited');
  });
  return { child, pid, exited, tail, kill };
}

/** SHUTDOWN (AOF flushed), SIGKILL after the bound; idempotent. */
function stopper(launch: LaunchedRedis, port: number, stopTimeoutMs: number): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      if (launch.child.exitCode !== null || launch.child.signalCode !== null) return;
      // SIGTERM is redis-server's other graceful path, for when SHUTDOWN could not be delivered.
      if (!(await sendShutdown(port))) launch.child.kill('SIGTERM');
      const timer = setTimeout(launch.kill, stopTimeoutMs);
      await launch.exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
}

function findExecutable(name: string, searchPath: string): string | undefined {
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

function freePort(): Promise<number> {
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

async function waitForPing(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server exited (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch (err) {
      lastError = (err as Error).message;
    } finally {
      client.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no PING answer on port ${port} within ${timeoutMs} ms (${lastError})`);
}

async function sendShutdown(port: number): Promise<boolean> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // The server closes the connection instead of replying, so the command's rejection is the success case.
    await client.call('SHUTDOWN').catch(() => undefined);
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
