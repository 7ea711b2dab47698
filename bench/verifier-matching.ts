/**
 * Verifier matching: 1,000,000 watched P2WPKH destinations, blocks of 4,000 real serialized segwit
 * transactions (built and serialized with bitcoinjs-lib: 1–3 P2WPKH inputs with witness signatures and
 * public keys, 2–3 outputs, 1 % paying a watched address). For each block, from the hex `getblock <hash> 0`
 * returns:
 *  - parse: `Block.fromHex` alone (bitcoinjs-lib);
 *  - parse + match: what the follower does per block (`Block.fromHex` + `matchTransactions` against the set,
 *    txids computed for matching transactions only).
 * Reports ms per block (median, p95), the ratio, the watched set's build time and the peak RSS.
 * Goal: ≤ 100 ms per block, ≤ 1 GiB, ≤ 2× parse alone.
 * Run: `npm run bench:verifier` (builds first). `VERIFIER_BENCH_ADDRESSES`, `VERIFIER_BENCH_TXS` and
 * `VERIFIER_BENCH_ROUNDS` override 1,000,000 / 4,000 / 30.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { ID_RANDOM_BYTES, makeId } from '@coinstile/core';
import { matchTransactions, scriptKey, WatchedSet } from '@coinstile/wallet-verifier';

// bitcoinjs-lib is ESM with a CommonJS build; loaded as wallet-verifier loads it.
const bitcoinjs: typeof import('bitcoinjs-lib', { with: { 'resolution-mode': 'import' } }) = require('bitcoinjs-lib');

const ADDRESSES = Number(process.env['VERIFIER_BENCH_ADDRESSES'] ?? 1_000_000);
const TXS = Number(process.env['VERIFIER_BENCH_TXS'] ?? 4_000);
const ROUNDS = Number(process.env['VERIFIER_BENCH_ROUNDS'] ?? 30);
const BLOCKS = 5;
const HIT_RATE = 0.01;

function p2wpkh(hash: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from([0x00, 0x14]), hash]);
}

function buildWatchedSet(): { set: WatchedSet; scripts: Uint8Array[]; buildMs: number } {
  const started = performance.now();
  const set = new WatchedSet();
  const scripts: Uint8Array[] = [];
  const until = new Date(Date.now() + 86_400_000);
  const now = Date.now();
  // One pool of randomness for every hash and id: a randomBytes call per entry would dominate the build.
  const entropy = randomBytes(ADDRESSES * (20 + ID_RANDOM_BYTES));
  for (let i = 0; i < ADDRESSES; i++) {
    const offset = i * (20 + ID_RANDOM_BYTES);
    const script = p2wpkh(entropy.subarray(offset, offset + 20));
    if (i % 1000 === 0) scripts.push(script);
    // makeId builds its string by concatenation (a V8 rope of ~30 nodes); ids read from Postgres, as
    // the follower gets them, are flat strings: flatten it the same way so the memory measured is real.
    const id = makeId('co', now, entropy.subarray(offset + 20, offset + 20 + ID_RANDOM_BYTES));
    set.add(scriptKey(script), Buffer.from(id, 'latin1').toString('latin1') as typeof id, 'BTC', until);
  }
  return { set, scripts, buildMs: performance.now() - started };
}

function buildBlockHex(watchedScripts: readonly Uint8Array[]): { hex: string; hits: number } {
  const block = new bitcoinjs.Block();
  block.version = 0x20000000;
  block.prevHash = randomBytes(32);
  block.timestamp = Math.floor(Date.now() / 1000);
  block.bits = 0x207fffff;
  block.nonce = 0;
  const coinbase = new bitcoinjs.Transaction();
  coinbase.addInput(Buffer.alloc(32), 0xffffffff, 0xffffffff, Buffer.from('03a08601', 'hex'));
  coinbase.addOutput(p2wpkh(randomBytes(20)), 625_000_000n);
  coinbase.setWitness(0, [Buffer.alloc(32)]);
  const txs = [coinbase];
  let hits = 0;
  for (let i = 1; i < TXS; i++) {
    const tx = new bitcoinjs.Transaction();
    tx.version = 2;
    const inputs = 1 + (i % 3);
    for (let j = 0; j < inputs; j++) {
      tx.addInput(randomBytes(32), j, i % 4 === 0 ? 0xfffffffd : 0xfffffffe);
      // A DER signature with its sighash byte and a compressed public key, as a P2WPKH spend carries.
      tx.setWitness(j, [Buffer.concat([Buffer.from([0x30, 0x44]), randomBytes(70), Buffer.from([0x01])]), Buffer.concat([Buffer.from([0x02]), randomBytes(32)])]);
    }
    const outputs = 2 + (i % 2);
    for (let k = 0; k < outputs; k++) {
      const hit = k === 0 && Math.random() < HIT_RATE;
      if (hit) hits++;
      const script = hit ? watchedScripts[Math.floor(Math.random() * watchedScripts.length)]! : p2wpkh(randomBytes(20));
      tx.addOutput(script, BigInt(10_000 + Math.floor(Math.random() * 1e8)));
    }
    txs.push(tx);
  }
  block.transactions = txs;
  block.merkleRoot = bitcoinjs.Block.calculateMerkleRoot(txs);
  return { hex: block.toHex(), hits };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/** CPU milliseconds (user + system) of this process: unlike wall time, not inflated by other load. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function time(rounds: number, blocks: readonly string[], fn: (hex: string) => void): { wall: number[]; cpu: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const hex of blocks) {
      const startedCpu = cpuMs();
      const started = performance.now();
      fn(hex);
      wall.push(performance.now() - started);
      cpu.push(cpuMs() - startedCpu);
    }
  }
  return { wall, cpu };
}

const maxRssMiB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
const heapMiB = (): number => Math.round(process.memoryUsage().heapUsed / 2 ** 20);
/** With `--expose-gc` (as `npm run bench:verifier` runs it), heap figures are measured after a full GC. */
const collect = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);

function main(): void {
  collect();
  const heapBeforeMiB = heapMiB();
  const { set, scripts, buildMs } = buildWatchedSet();
  collect();
  const watchedSetHeapMiB = heapMiB() - heapBeforeMiB;
  const peakRssAfterSetMiB = maxRssMiB();
  const blocks: string[] = [];
  let expectedHits = 0;
  for (let b = 0; b < BLOCKS; b++) {
    const { hex, hits } = buildBlockHex(scripts);
    blocks.push(hex);
    expectedHits += hits;
  }
  collect();
  const peakRssAfterBlocksMiB = maxRssMiB();
  // Correctness first: the matcher finds exactly the planted payments.
  let found = 0;
  for (const hex of blocks) found += matchTransactions(bitcoinjs.Block.fromHex(hex).transactions ?? [], set).length;
  if (found !== expectedHits) throw new Error(`matched ${found} outputs, planted ${expectedHits}`);

  // Warm-up, then alternate the two measurements so both see the same machine state.
  time(3, blocks, (hex) => bitcoinjs.Block.fromHex(hex));
  time(3, blocks, (hex) => matchTransactions(bitcoinjs.Block.fromHex(hex).transactions ?? [], set));
  const parse = { wall: [] as number[], cpu: [] as number[] };
  const match = { wall: [] as number[], cpu: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    const p = time(1, blocks, (hex) => bitcoinjs.Block.fromHex(hex));
    const m = time(1, blocks, (hex) => matchTransactions(bitcoinjs.Block.fromHex(hex).transactions ?? [], set));
    parse.wall.push(...p.wall);
    parse.cpu.push(...p.cpu);
    match.wall.push(...m.wall);
    match.cpu.push(...m.cpu);
  }
  for (const list of [parse.wall, parse.cpu, match.wall, match.cpu]) list.sort((a, b) => a - b);
  const blockBytes = blocks[0]!.length / 2;
  const fmt = (n: number): string => n.toFixed(1);
  console.log(
    JSON.stringify(
      {
        machine: { nproc: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
        watchedAddresses: set.size,
        watchedSetBuildMs: Math.round(buildMs),
        txsPerBlock: TXS,
        blockBytes,
        matchesPerBlock: expectedHits / BLOCKS,
        samples: parse.wall.length,
        parseMs: { wallP50: fmt(percentile(parse.wall, 50)), wallP95: fmt(percentile(parse.wall, 95)), cpuP50: fmt(percentile(parse.cpu, 50)) },
        parseAndMatchMs: { wallP50: fmt(percentile(match.wall, 50)), wallP95: fmt(percentile(match.wall, 95)), cpuP50: fmt(percentile(match.cpu, 50)) },
        ratioP50: { wall: (percentile(match.wall, 50) / percentile(parse.wall, 50)).toFixed(2), cpu: (percentile(match.cpu, 50) / percentile(parse.cpu, 50)).toFixed(2) },
        loadAverage: loadavg().map((l) => l.toFixed(1)),
        watchedSetHeapMiB,
        peakRssAfterSetMiB,
        peakRssAfterBlocksMiB,
        peakRssMiB: maxRssMiB(),
      },
      null,
      2,
    ),
  );
}

main();
