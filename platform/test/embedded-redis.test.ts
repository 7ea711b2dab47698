import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { createLogger, EmbeddedRedisStartError, type EmbeddedRedis, RedisServerMissingError, startEmbeddedRedis } from '../src';
import { isProcessRunning, waitUntil } from './process-alive';

const logger = createLogger({ logLevel: 'silent' });
const repoRoot = join(__dirname, '..', '..');

describe('startEmbeddedRedis', () => {
  let dataDir: string;
  let redis: EmbeddedRedis | undefined;
  let child: ChildProcess | undefined;
  let orphanPid: number | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coinstile-embedded-redis-'));
  });
  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
    child?.kill('SIGKILL');
    child = undefined;
    if (orphanPid !== undefined && isProcessRunning(orphanPid)) process.kill(orphanPid, 'SIGKILL');
    orphanPid = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts a durable redis-server that answers, and stop() leaves no process and keeps the AOF', async () => {
    redis = await startEmbeddedRedis(dataDir, logger);
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    const client = new Redis(redis.url);
    try {
      expect(await client.ping()).toBe('PONG');
      await client.set('checkout:co_1', 'settled');
      const settings = (await client.config('GET', '*')) as string[];
      const get = (name: string) => settings[settings.indexOf(name) + 1];
      expect(get('appendonly')).toBe('yes');
      expect(get('appendfsync')).toBe('everysec');
      expect(get('maxmemory-policy')).toBe('noeviction');
      expect(get('save')).toBe('');
      expect(get('bind')).toBe('127.0.0.1');
      expect(get('dir')).toBe(join(dataDir, 'redis'));
    } finally {
      client.disconnect();
    }
    const { pid } = redis;
    expect(isProcessRunning(pid)).toBe(true);
    await redis.stop();
    expect(isProcessRunning(pid)).toBe(false);
    await redis.stop(); // idempotent

    const aofFiles = readdirSync(join(dataDir, 'redis', 'appendonlydir'));
    expect(aofFiles.some((f) => f.endsWith('.incr.aof'))).toBe(true);

    // The data survives: a new embedded server on the same folder still has the key.
    redis = await startEmbeddedRedis(dataDir, logger);
    const again = new Redis(redis.url);
    try {
      expect(await again.get('checkout:co_1')).toBe('settled');
    } finally {
      again.disconnect();
    }
  });

  it('throws RedisServerMissingError with install instructions when redis-server is not on PATH', async () => {
    const attempt = startEmbeddedRedis(dataDir, logger, { path: '' });
    await expect(attempt).rejects.toBeInstanceOf(RedisServerMissingError);
    await expect(attempt).rejects.toThrow(
      'redis-server was not found on PATH. Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or set REDIS_URL to an existing Redis (redis://host:6379).',
    );
  });

  const fakeBin = (scripts: Record<string, string>, links: Record<string, string> = {}) => {
    const bin = join(dataDir, 'bin');
    mkdirSync(bin, { recursive: true });
    for (const [name, body] of Object.entries(scripts)) {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    }
    for (const [name, target] of Object.entries(links)) symlinkSync(target, join(bin, name));
    return bin;
  };

  it('reports why redis-server failed to start, with its own log lines', async () => {
    const path = fakeBin({ 'redis-server': 'echo "FATAL: cannot open config" >&2; exit 1' });
    const attempt = startEmbeddedRedis(dataDir, logger, { path });
    await expect(attempt).rejects.toBeInstanceOf(EmbeddedRedisStartError);
    await expect(attempt).rejects.toThrow(/redis-server exited \(code 1[\s\S]*FATAL: cannot open config/);
  });

  it('falls back to a plain spawn when setpriv cannot set the death signal', async () => {
    const path = fakeBin(
      { setpriv: 'echo "setpriv: unrecognized option \'--pdeathsig\'" >&2; exit 1' },
      { 'redis-server': '/usr/bin/redis-server' },
    );
    const lines: string[] = [];
    const capturing = createLogger({ logLevel: 'info' }, { destination: { write: (l: string) => void lines.push(l) } });
    redis = await startEmbeddedRedis(dataDir, capturing, { path });
    const client = new Redis(redis.url);
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
    const started = lines.map((l) => JSON.parse(l) as { msg: string; deathSignal?: boolean }).find((l) => l.msg === 'embedded redis-server started');
    expect(started?.deathSignal).toBe(false);
    expect(lines.some((l) => l.includes('setpriv --pdeathsig failed'))).toBe(true);
  });

  it('dies with Coinstile when Coinstile is killed with SIGKILL', async () => {
    child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'fixtures', 'embedded-redis-child.ts'), dataDir], {
      cwd: repoRoot,
      env: { ...process.env, TS_NODE_PROJECT: join(repoRoot, 'tsconfig.test.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child!.stdout! }).once('line', resolve);
      child!.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
    });
    const { pid, port } = JSON.parse(firstLine) as { pid: number; port: number };
    orphanPid = pid;
    const client = new Redis({ port, lazyConnect: true });
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    client.disconnect();

    child.kill('SIGKILL');
    await waitUntil(() => !isProcessRunning(pid), 5_000, `embedded redis-server ${pid} to die with its parent`);
  }, 30_000);
});
