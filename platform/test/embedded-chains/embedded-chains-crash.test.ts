import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bitcoinRpc, createLogger, startEmbeddedLitecoind } from '../../src';
import { isProcessRunning, waitUntil } from '../process-alive';

const repoRoot = join(__dirname, '..', '..', '..');

describe('embedded chains when Coinstile is killed', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;
  const orphans: number[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coinstile-embedded-crash-'));
  });
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
    for (const pid of orphans.splice(0)) if (isProcessRunning(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('litecoind and the Hardhat node die with Coinstile killed by SIGKILL, and litecoind starts again on its datadir', async () => {
    child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'fixtures', 'embedded-chains-child.ts'), dataDir], {
      cwd: repoRoot,
      env: { ...process.env, TS_NODE_PROJECT: join(repoRoot, 'tsconfig.test.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child!.stdout! }).once('line', resolve);
      child!.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
    });
    const { litecoind, hardhat, ltcRpcUrl } = JSON.parse(firstLine) as { litecoind: number; hardhat: number; ltcRpcUrl: string };
    orphans.push(litecoind, hardhat);
    expect(await bitcoinRpc<number>(ltcRpcUrl, 'getblockcount')).toBe(101);

    child.kill('SIGKILL');
    await waitUntil(() => !isProcessRunning(litecoind) && !isProcessRunning(hardhat), 10_000, 'the embedded nodes to die with their parent');

    // Killed, not stopped: the next start recovers the same chain and wallet.
    const again = await startEmbeddedLitecoind(dataDir, createLogger({ logLevel: 'silent' }));
    try {
      expect(await bitcoinRpc<number>(again.rpcUrl, 'getblockcount')).toBe(101);
      expect(await bitcoinRpc<number>(again.walletRpcUrl, 'getbalance')).toBe(50);
    } finally {
      await again.stop();
    }
  }, 120_000);
});
