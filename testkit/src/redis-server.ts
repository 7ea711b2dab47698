import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './free-port';
import { ManagedProcess, readTail } from './managed-process';
import { registerCleanup } from './process-registry';
import { createTempDir } from './temp-dir';

export interface RedisServer {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** SIGKILL; the data (AOF) stays. */
  kill9(): Promise<void>;
  /** Starts again on the same port and data dir; resolves when PING answers (after the AOF is loaded). */
  restart(): Promise<void>;
  /** Idempotent; deletes the data dir. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** `always` (default) makes every acknowledged write survive a kill -9. */
  readonly appendfsync?: 'always' | 'everysec';
}

const READY_TIMEOUT_MS = 20_000;

/** Sends PING over a raw socket; true when the server answers +PONG (not -LOADING while reading the AOF). */
function pingAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

class TemporaryRedis implements RedisServer {
  readonly url: string;
  readonly dataDir: string;
  private process: ManagedProcess | undefined;
  private stopping: Promise<void> | undefined;
  private readonly logFile: string;
  private readonly unregisterCleanup: () => void;

  constructor(
    private readonly baseDir: string,
    readonly port: number,
    private readonly appendfsync: 'always' | 'everysec',
  ) {
    this.dataDir = baseDir;
    this.logFile = join(baseDir, 'redis.log');
    this.url = `redis://127.0.0.1:${port}`;
    this.unregisterCleanup = registerCleanup(() => rmSync(baseDir, { recursive: true, force: true }));
  }

  async start(): Promise<void> {
    if (this.stopping !== undefined) throw new Error('RedisServer: already stopped');
    const redis = ManagedProcess.start({
      name: 'redis-server',
      command: 'redis-server',
      args: [
        '--bind', '127.0.0.1',
        '--port', String(this.port),
        '--dir', this.dataDir,
        '--appendonly', 'yes',
        '--appendfsync', this.appendfsync,
        '--save', '',
        '--maxmemory-policy', 'noeviction',
        '--daemonize', 'no',
        '--logfile', '',
      ],
      logFile: this.logFile,
      cwd: this.dataDir,
    });
    this.process = redis;
    await redis.waitUntilReady(() => pingAnswers(this.port), READY_TIMEOUT_MS);
  }

  logMentionsPortInUse(): boolean {
    return /Address already in use/.test(readTail(this.logFile, 8000));
  }

  async kill9(): Promise<void> {
    await this.process?.kill9();
  }

  async restart(): Promise<void> {
    const redis = this.process;
    // SIGTERM: redis fsyncs the AOF and exits.
    if (redis !== undefined && !redis.hasExited) await redis.stop('SIGTERM', 10_000);
    await this.start();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.process !== undefined) await this.process.stop('SIGTERM', 10_000);
      rmSync(this.baseDir, { recursive: true, force: true });
      this.unregisterCleanup();
    })();
    return this.stopping;
  }
}

/**
 * Starts redis-server on 127.0.0.1 at a free port, AOF on (`appendfsync always` unless told otherwise),
 * no RDB snapshots, `noeviction` (what BullMQ requires). Throws ServerStartError with the log tail on failure.
 */
export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    const server = new TemporaryRedis(
      createTempDir('coinstile-redis-'),
      await freePort(),
      opts.appendfsync ?? 'always',
    );
    try {
      await server.start();
      return server;
    } catch (error) {
      const portClash = server.logMentionsPortInUse();
      await server.stop();
      // Another process may take the port between freePort() and the bind; try another one.
      if (!portClash || attempt >= 3) throw error;
    }
  }
}
