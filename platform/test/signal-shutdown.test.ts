import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { httpRequest } from './http-client';
import { isProcessRunning } from './process-alive';

const repoRoot = join(__dirname, '..', '..');

describe('a real SIGTERM to a Coinstile process', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;
  let redisPid: number | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coinstile-signal-'));
  });
  afterEach(() => {
    child?.kill('SIGKILL');
    if (redisPid !== undefined && isProcessRunning(redisPid)) process.kill(redisPid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shuts down gracefully, stops the embedded redis-server and exits 0', async () => {
    child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'fixtures', 'signal-child.ts'), dataDir], {
      cwd: repoRoot,
      env: { ...process.env, TS_NODE_PROJECT: join(repoRoot, 'tsconfig.test.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: string[] = [];
    child.stderr!.on('data', (c: Buffer) => logs.push(c.toString('utf8')));
    const ready = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child!.stdout! }).once('line', resolve);
      child!.once('exit', (code) => reject(new Error(`child exited with ${code}: ${logs.join('')}`)));
    });
    const { redisPid: pid, port } = JSON.parse(ready) as { redisPid: number; port: number };
    redisPid = pid;
    expect((await httpRequest(port, '/')).body).toBe('ok');

    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(isProcessRunning(pid)).toBe(false);
    const messages = logs.join('').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toEqual(expect.arrayContaining(['shutting down', 'component stopped', 'embedded redis-server exited', 'shutdown complete']));
  }, 30_000);
});
