import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ManagedProcess } from '../src/managed-process';
import { testkitTempRoot } from '../src/temp-dir';
import { ServerStartError } from '@coinstile/testkit';

/** True when the pid no longer runs (gone, or a zombie waiting for init to reap it). */
function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

function ownerPidOf(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, '.coinstile-owner-pid'), 'utf8');
  } catch {
    return undefined;
  }
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((done) => setTimeout(done, 50));
  }
  return check();
}

interface ScriptReport {
  ownerPid: number;
  pids: Array<{ pid: number; name: string }>;
  dirs: string[];
}

/**
 * Runs `body` in a separate node process that loads the testkit from source, waits for it to print the
 * pids of its servers, then lets `finish` end that process.
 */
async function inChildProcess(
  body: string,
  finish: (child: ReturnType<typeof spawn>) => void,
): Promise<{ report: ScriptReport; exit: { code: number | null; signal: NodeJS.Signals | null } }> {
  const testkit = resolve(__dirname, '../src/index.ts');
  const script = `const tk = require(${JSON.stringify(testkit)});
(async () => {
${body}
  process.stdout.write(JSON.stringify({ ownerPid: process.pid, pids: tk.registeredChildren(), dirs }) + '\\n');
  setInterval(() => undefined, 1000);
})().catch((error) => { console.error(error); process.exit(2); });`;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: resolve(__dirname, '../..'),
    // ts-node would otherwise compile for ES5 (the root tsconfig has no compilerOptions).
    env: { ...process.env, TS_NODE_PROJECT: resolve(__dirname, '../tsconfig.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const report = await new Promise<ScriptReport>((done, fail) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) done(JSON.parse(stdout) as ScriptReport);
    });
    void exited.then(() => fail(new Error(`script exited early: ${stderr}`)));
  });
  finish(child);
  return { report, exit: await exited };
}

describe('process hygiene', () => {
  const logFiles: string[] = [];

  afterAll(() => {
    for (const file of logFiles) rmSync(file, { force: true });
  });

  test('servers die with a test process killed by SIGKILL (PR_SET_PDEATHSIG, also across the postgres uid change)', async () => {
    const { report, exit } = await inChildProcess(
      `const pg = await tk.startPostgres(); const redis = await tk.startRedis(); const dirs = [redis.dataDir];`,
      (child) => child.kill('SIGKILL'),
    );
    expect(exit.signal).toBe('SIGKILL');
    expect(report.pids.map((p) => p.name).sort()).toEqual(['postgres', 'redis-server']);
    for (const { pid } of report.pids) expect(await eventually(() => isGone(pid), 5000)).toBe(true);

    // No code of the killed process ran: its dirs are left, marked with its pid for a later sweep.
    const root = testkitTempRoot();
    const abandoned = readdirSync(root)
      .map((entry) => join(root, entry))
      .filter((dir) => ownerPidOf(dir) === String(report.ownerPid));
    expect(abandoned.map((dir) => dir.replace(/-[^-]+$/, '')).sort()).toEqual(
      [join(root, 'coinstile-pg'), join(root, 'coinstile-redis')],
    );
    for (const dir of abandoned) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test('a test process that exits without stopping its servers kills them and removes their dirs', async () => {
    const { report, exit } = await inChildProcess(
      `const redis = await tk.startRedis(); const dirs = [redis.dataDir];
  setTimeout(() => process.exit(0), 10);`,
      () => undefined,
    );
    expect(exit.code).toBe(0);
    expect(report.pids).toHaveLength(1);
    for (const { pid } of report.pids) expect(await eventually(() => isGone(pid), 5000)).toBe(true);
    expect(report.dirs.map((dir) => existsSync(dir))).toEqual([false]);
  }, 60_000);

  test('a server that exits during start-up fails with its log tail', async () => {
    const logFile = join(tmpdir(), `coinstile-hygiene-${process.pid}-${Date.now()}.log`);
    logFiles.push(logFile);
    const failing = ManagedProcess.start({
      name: 'failing server',
      command: 'sh',
      args: ['-c', 'echo "FATAL: cannot start: boom" >&2; exit 3'],
      logFile,
    });
    const failure = failing.waitUntilReady(async () => false, 10_000);
    await expect(failure).rejects.toBeInstanceOf(ServerStartError);
    await expect(failure).rejects.toThrow(/failing server exited with code 3 before it was ready[\s\S]*boom/);
  });

  test('a server that never gets ready is killed when start-up times out', async () => {
    const logFile = join(tmpdir(), `coinstile-hygiene-${process.pid}-${Date.now()}.log`);
    logFiles.push(logFile);
    const stuck = ManagedProcess.start({ name: 'stuck server', command: 'sleep', args: ['30'], logFile });
    await expect(stuck.waitUntilReady(async () => false, 300)).rejects.toThrow(/stuck server was not ready after 300 ms/);
    expect(stuck.hasExited).toBe(true);
    expect(isGone(stuck.pid)).toBe(true);
  });
});
