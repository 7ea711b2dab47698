import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CheckoutId } from '@coinstile/core';
import { CheckoutEvaluator } from '@coinstile/wallet-verifier';
import { cryptoRandomSource } from '@coinstile/platform';
import { ltc, VerifierHarness } from './verifier-harness';

/** An evaluator failing like a process killed after the round recorded its payments, before evaluating. */
class DyingEvaluator extends CheckoutEvaluator {
  override async evaluateAll(): Promise<number> {
    throw new Error('killed before evaluation');
  }
}

const repoRoot = join(__dirname, '..', '..', '..');

describe('verifier killed mid-stream', () => {
  let h: VerifierHarness;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    h = await VerifierHarness.start();
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await h?.close();
  });

  it('killed between recording payments and evaluating them: the next start evaluates them, events once', async () => {
    const co = await h.createCheckout({ dueLitoshi: 8_000_000n });
    const dying = h.follower({}, new DyingEvaluator(h.db, { clock: h.clock, random: cryptoRandomSource }));
    await dying.start();
    await h.node.sendToAddress(co.address, ltc(8_000_000n));
    await h.node.mine(1);
    await expect(dying.syncOnce()).rejects.toThrow('killed before evaluation');
    expect(await h.payments(co.id)).toHaveLength(1);
    expect((await h.checkout(co.id)).status).toBe('new');

    const next = h.follower();
    await next.start();
    expect(await h.checkout(co.id)).toMatchObject({ status: 'settled', amountPaidBase: 8_000_000n });
    await next.syncOnce();
    expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.settled']);
    expect(await h.payments(co.id)).toHaveLength(1);
  });

  it('kill -9 of the verifier process at arbitrary points while payments and blocks keep coming: every payment and event exactly once', async () => {
    function spawnVerifier(): Promise<ChildProcess> {
      const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'fixtures', 'follower-child.ts'), h.databaseUrl, h.node.rpcUrl], {
        cwd: repoRoot,
        env: { ...process.env, TS_NODE_PROJECT: join(repoRoot, 'tsconfig.test.json') },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return new Promise((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('leader')) resolve(child);
        });
        child.once('exit', (code) => reject(new Error(`verifier exited (${code}) before leading`)));
      });
    }
    async function kill9(child: ChildProcess): Promise<void> {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }

    const checkouts: { id: CheckoutId; address: string }[] = [];
    for (let i = 0; i < 10; i++) checkouts.push(await h.createCheckout({ dueLitoshi: 2_000_000n + BigInt(i) }));
    let verifier = await spawnVerifier();
    for (let i = 0; i < checkouts.length; i++) {
      await h.node.sendToAddress(checkouts[i]!.address, ltc(2_000_000n + BigInt(i)));
      if (i % 2 === 1) await h.node.mine(1);
      await new Promise((resolve) => setTimeout(resolve, 20 + 40 * (i % 3)));
      if (i % 3 === 2) {
        await kill9(verifier);
        verifier = await spawnVerifier();
      }
    }
    await h.node.mine(1);
    const deadline = Date.now() + 30_000;
    const statuses = async (): Promise<string[]> => Promise.all(checkouts.map(async (c) => (await h.checkout(c.id)).status));
    while (!(await statuses()).every((s) => s === 'settled')) {
      if (Date.now() > deadline) throw new Error(`not all settled: ${(await statuses()).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await kill9(verifier);
    for (const co of checkouts) {
      expect(await h.payments(co.id)).toHaveLength(1);
      expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.settled']);
    }
  });
});
