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
  const port = await freePort();
  const redisArgs = [
    '--bind', '127.0.0.1',
    '--port', String(port),
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--maxmemory-policy', 'noeviction',
    '--save', '',
    '--logfile', '',
  ];
  const [command, args] = setpriv
    ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', redisServer, ...redisArgs]]
    : [redisServer, redisArgs];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new EmbeddedRedisStartError(`could not spawn ${command}`);

  // Last lines of redis-server's own log, to explain a failed start.
  const tail: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) tail.push(line.trim());
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    process.removeListener('exit', killOnExit);
    logger.info({ pid, code, signal }, 'embedded redis-server exited');
  });

  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitForPing(port, child, opts.startTimeoutMs ?? 10_000);
  } catch (err) {
    killOnExit();
    await exited;
    throw new EmbeddedRedisStartError(
      `embedded redis-server did not start: ${(err as Error).message}${tail.length ? `\n${tail.join('\n')}` : ''}`,
    );
  }
  logger.info({ pid, url, dir, deathSignal: setpriv !== undefined }, 'embedded redis-server started');

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGTERM is redis-server's other graceful path, for when SHUTDOWN could not be delivered.
      if (!(await sendShutdown(port))) child.kill('SIGTERM');
      const timer = setTimeout(killOnExit, opts.stopTimeoutMs ?? 5_000);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
  return { url, port, pid, stop };
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
