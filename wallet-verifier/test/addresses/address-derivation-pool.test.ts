import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HDNodeWallet } from 'ethers';
import { AddressDerivationPool, DerivationIndexError, deriveAddress, parseReceivingWallet } from '@coinstile/wallet-verifier';

// BIP84's published vector (mnemonic "abandon … about"): first receiving addresses of its account zpub.
const BIP84_ZPUB = 'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs';
const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const btc = parseReceivingWallet('BTC', 'mainnet', BIP84_ZPUB);
const eth = parseReceivingWallet('ETH', 'mainnet', HDNodeWallet.fromPhrase(ABANDON, undefined, "m/44'/60'/0'/0").neuter().extendedKey);

describe('AddressDerivationPool', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'coinstile-derivation-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('derives on its thread exactly what deriveAddress derives, for many requests at once', async () => {
    const pool = new AddressDerivationPool();
    try {
      expect(pool.mode).toBe('worker');
      const indexes = Array.from({ length: 60 }, (_, i) => i);
      const [btcAddresses, ethAddresses] = await Promise.all([
        Promise.all(indexes.map((i) => pool.derive(btc, i))),
        Promise.all(indexes.map((i) => pool.derive(eth, i))),
      ]);
      expect(btcAddresses[0]).toBe('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
      expect(btcAddresses[1]).toBe('bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g');
      expect(ethAddresses[0]).toBe('0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
      expect(btcAddresses).toEqual(indexes.map((i) => deriveAddress(btc, i)));
      expect(ethAddresses).toEqual(indexes.map((i) => deriveAddress(eth, i)));
      expect(pool.mode).toBe('worker');
    } finally {
      await pool.close();
    }
  });

  it('derives the next indexes of a wallet ahead: a later request finds its address ready, with no trip to the thread', async () => {
    const pool = new AddressDerivationPool();
    try {
      expect(await pool.derive(btc, 0)).toBe('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
      // The window after index 0 is derived in the background; give it ample time on a busy machine.
      const settled = async (p: Promise<string>) => {
        const marker = new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')));
        return Promise.race([p, marker]);
      };
      let ready: string | 'pending' = 'pending';
      for (let attempt = 0; attempt < 100 && ready === 'pending'; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        ready = await settled(pool.derive(btc, 1 + attempt));
      }
      expect(ready).not.toBe('pending');
      // Sequential use refills the window as it goes; a jump (another gateway took indexes) starts a new one.
      for (const index of [...Array.from({ length: 300 }, (_, i) => 101 + i), 50_000, 50_001, 50_002]) {
        expect(await pool.derive(btc, index)).toBe(deriveAddress(btc, index));
      }
      expect(await pool.derive(eth, 7)).toBe(deriveAddress(eth, 7));
    } finally {
      await pool.close();
    }
  });

  it('does not derive ahead the indexes a jump skipped (another gateway handed them out)', async () => {
    const pool = new AddressDerivationPool();
    try {
      // Index 0 asks for 1…128 ahead; index 100, asked in the same turn, means 1…99 went elsewhere.
      const [first, jumped] = await Promise.all([pool.derive(btc, 0), pool.derive(btc, 100)]);
      expect([first, jumped]).toEqual([deriveAddress(btc, 0), deriveAddress(btc, 100)]);
      for (let index = 101; index <= 256; index += 1) expect(await pool.derive(btc, index)).toBe(deriveAddress(btc, index));
      const { readyHits, onDemand, sentToThread } = pool.stats;
      expect(readyHits + onDemand).toBe(2 + 156);
      expect(readyHits).toBeGreaterThan(100);
      // 0 and 100, then 101…256 and the window after them (257…384) once each; 1…99 never. An index asked
      // for while its derivation ahead is still on the thread is sent again on demand: with native
      // derivation that race is common enough to allow up to two messages' worth of it. Deriving the
      // skipped indexes too would make it 384 or more.
      expect(sentToThread).toBeGreaterThanOrEqual(2 + 156);
      expect(sentToThread).toBeLessThanOrEqual(2 + 284 + 32);
    } finally {
      await pool.close();
    }
  });

  it('raises the typed error for an index out of range, and the other requests of the batch still succeed', async () => {
    const pool = new AddressDerivationPool();
    try {
      const results = await Promise.allSettled([pool.derive(btc, 2 ** 31), pool.derive(btc, 0), pool.derive(btc, -1)]);
      expect(results[0]).toMatchObject({ status: 'rejected', reason: expect.any(DerivationIndexError) });
      expect(results[1]).toEqual({ status: 'fulfilled', value: 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu' });
      expect(results[2]).toMatchObject({ status: 'rejected', reason: expect.any(DerivationIndexError) });
    } finally {
      await pool.close();
    }
  });

  it('derives inline what a dying thread held, and stops starting threads after repeated failures', async () => {
    // A thread that dies as soon as it is given work.
    const dying = join(scratch, 'dying-worker.js');
    writeFileSync(dying, "require('node:worker_threads').parentPort.on('message', () => process.exit(3));\n");
    const pool = new AddressDerivationPool({ workerScript: dying });
    try {
      for (let round = 0; round < 3; round += 1) {
        expect(pool.mode).toBe('worker');
        const addresses = await Promise.all([0, 1, 2].map((i) => pool.derive(btc, i + round)));
        expect(addresses).toEqual([0, 1, 2].map((i) => deriveAddress(btc, i + round)));
      }
      expect(pool.mode).toBe('inline');
      await expect(pool.derive(btc, 0)).resolves.toBe('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
    } finally {
      await pool.close();
    }
  });

  it('lets derivations in flight finish on close, then derives inline', async () => {
    const pool = new AddressDerivationPool();
    const inFlight = Promise.all(Array.from({ length: 20 }, (_, i) => pool.derive(eth, i)));
    await new Promise((resolve) => setImmediate(resolve)); // the batch is on the thread now
    const queued = pool.derive(eth, 20); // and this one still waits for the end of the turn
    await pool.close();
    await expect(queued).resolves.toBe(deriveAddress(eth, 20));
    await expect(inFlight).resolves.toEqual(Array.from({ length: 20 }, (_, i) => deriveAddress(eth, i)));
    expect(pool.mode).toBe('inline');
    await expect(pool.derive(eth, 0)).resolves.toBe('0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
  });
});
