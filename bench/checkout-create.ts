/**
 * Checkout creation through the HTTP API (goal: ≥ 2,000 checkouts/s, p99 ≤ 50 ms on 2 cores, and at least
 * a third of the throughput of a bare one-INSERT endpoint on the same pool).
 *
 * Starts a real PostgreSQL and redis-server (testkit), the gateway in a child process
 * (`checkout-create-server.ts`), an active store with a BIP84 wallet and an API key, then drives
 * `POST /v1/checkouts` with `asset: "BTC"` (fresh address, locked quote) and a unique `Idempotency-Key`
 * at concurrency 64 over keep-alive HTTP (`KeepAliveLoadClient`: 64 connections, one request at a time on
 * each), then the bare endpoint the same way, and prints both.
 *
 * Run: `npm run bench:checkout` (builds first). `BENCH_SECONDS` sets each phase's duration (default 10).
 * Diagnostics: `BENCH_CHECKOUTS_ONLY=1` (no bare phase), `BENCH_GATEWAYS=n` (n gateway processes),
 * `BENCH_SERVER_PROF=<dir>` (CPU profile), `BENCH_HEAP_PROF=<dir>`, `BENCH_TRACE_GC=1`, and
 * `BENCH_SERVER_NODE_ARGS` (extra node flags for the gateway, e.g. `--max-semi-space-size=64`), and
 * `BENCH_CLIENT=node-http` (drive the load through `node:http`, as the runs before session 6 did).
 *
 * Comparison: `BENCH_COMPARE_ENV="NAME=value …"` and/or `BENCH_COMPARE_NODE_ARGS="--flag …"` start a second
 * gateway B with that extra environment / those node flags beside the usual one (A), on the same database,
 * and drive checkouts at A and at B in alternating slices (the order flipped each round, 8 rounds by
 * default) instead of the bare phase: a change behind an environment switch or a V8 flag is then compared
 * under the same machine speed, which on a shared VM drifts more than most changes gain.
 * `BENCH_COMPARE_TREE=<dir>` runs B from another built checkout of the repository (e.g. the commit before a
 * change: `git worktree add`/`git clone`, `npm install`, `npx tsc -b`), on the same database, which must
 * then need no other migrations.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { startPostgres, startRedis } from '@coinstile/testkit';
import { transpiledToOut } from './bench-support';
import { KeepAliveLoadClient } from './keep-alive-load-client';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const WARMUP_SECONDS = 2;
const CONCURRENCY = 64;
/** `BENCH_GATEWAYS`: gateway processes (default 1), each on its own port; requests go to them in turn. */
const GATEWAYS = Number(process.env['BENCH_GATEWAYS'] ?? 1);
/** `BENCH_CHECKOUTS_ONLY=1` skips the bare phase, so a server profile (`BENCH_SERVER_PROF`) shows checkouts alone. */
const CHECKOUTS_ONLY = process.env['BENCH_CHECKOUTS_ONLY'] === '1';
const COMPARE_ENV = Object.fromEntries(
  (process.env['BENCH_COMPARE_ENV'] ?? '')
    .split(' ')
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
) as Record<string, string>;
const COMPARE_NODE_ARGS = (process.env['BENCH_COMPARE_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
const COMPARE_TREE = process.env['BENCH_COMPARE_TREE'];
const COMPARING = Object.keys(COMPARE_ENV).length > 0 || COMPARE_NODE_ARGS.length > 0 || COMPARE_TREE !== undefined;
/** Slices per phase; a comparison gets more, its two gateways taking turns. */
const ROUNDS = COMPARING ? 8 : 5;
/** `BENCH_CLIENT=node-http` drives the load through `node:http` (as before session 6) instead of `KeepAliveLoadClient`. */
const NODE_HTTP_CLIENT = process.env['BENCH_CLIENT'] === 'node-http';
const OPERATOR_TOKEN = 'bench-operator-token-0123456789abcdef';
const BIP84_ZPUB = 'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs';

/** The V8 flags `npm start`, `bin/coinstile` and the Docker image run the gateway with. */
const GATEWAY_NODE_ARGS = ['--max-semi-space-size=64'];

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function call(base: URL, method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: { ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

interface PhaseSample {
  readonly latencies: number[];
  readonly elapsedS: number;
  readonly cpuUs: number;
  readonly eventLoopUs: number;
  /** This process's CPU time: the load generator's own cost, on the same cores. */
  readonly clientCpuUs: number;
  readonly machineBusyTicks: number;
  readonly machineTotalTicks: number;
}

interface PhaseResult {
  /** Gateway process CPU time per request (user + system). */
  readonly cpuUsPerRequest: number;
  /** Gateway main-thread (event loop) busy time per request: the figure that caps one process's rate. */
  readonly eventLoopUsPerRequest: number;
  readonly clientCpuUsPerRequest: number;
  /** Share of all cores busy during the phase (any process), from /proc/stat. */
  readonly machineBusy: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly count: number;
}

/** The CPU time (all threads) and event-loop busy time of all gateway processes together, in µs. */
async function serverCpu(servers: readonly ChildProcess[]): Promise<{ cpuUs: number; eventLoopUs: number }> {
  const each = await Promise.all(servers.map(processCpu));
  return { cpuUs: each.reduce((a, b) => a + b.cpuUs, 0), eventLoopUs: each.reduce((a, b) => a + b.eventLoopUs, 0) };
}

function processCpu(server: ChildProcess): Promise<{ cpuUs: number; eventLoopUs: number }> {
  return new Promise((resolve) => {
    const onMessage = (m: { cpu?: NodeJS.CpuUsage; eventLoopActiveMs?: number }) => {
      if (!m.cpu) return;
      server.off('message', onMessage);
      resolve({ cpuUs: m.cpu.user + m.cpu.system, eventLoopUs: (m.eventLoopActiveMs ?? NaN) * 1000 });
    };
    server.on('message', onMessage);
    server.send('cpu');
  });
}

async function phase(label: string, seconds: number, send: (i: number) => Promise<number>, servers: readonly ChildProcess[], first: number): Promise<PhaseSample> {
  const cpuBefore = await serverCpu(servers);
  const clientBefore = process.cpuUsage();
  const machineBefore = machineCpuTicks();
  const latencies: number[] = [];
  let next = first;
  let failures = 0;
  const deadline = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        const status = await send(i);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (status !== 201) failures += 1;
      }
    }),
  );
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = await serverCpu(servers);
  const cpuUs = cpuAfter.cpuUs - cpuBefore.cpuUs;
  const eventLoopUs = cpuAfter.eventLoopUs - cpuBefore.eventLoopUs;
  const client = process.cpuUsage(clientBefore);
  const machineAfter = machineCpuTicks();
  if (failures > 0) throw new Error(`${label}: ${failures} requests failed`);
  return {
    latencies,
    elapsedS,
    cpuUs,
    eventLoopUs,
    clientCpuUs: client.user + client.system,
    machineBusyTicks: machineAfter.busy - machineBefore.busy,
    machineTotalTicks: machineAfter.total - machineBefore.total,
  };
}

function summarize(samples: readonly PhaseSample[]): PhaseResult {
  const latencies = samples.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const elapsed = samples.reduce((t, s) => t + s.elapsedS, 0);
  const cpuUs = samples.reduce((t, s) => t + s.cpuUs, 0);
  const eventLoopUs = samples.reduce((t, s) => t + s.eventLoopUs, 0);
  const clientCpuUs = samples.reduce((t, s) => t + s.clientCpuUs, 0);
  const busy = samples.reduce((t, s) => t + s.machineBusyTicks, 0);
  const total = samples.reduce((t, s) => t + s.machineTotalTicks, 0);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    cpuUsPerRequest: cpuUs / latencies.length,
    eventLoopUsPerRequest: eventLoopUs / latencies.length,
    clientCpuUsPerRequest: clientCpuUs / latencies.length,
    machineBusy: total === 0 ? NaN : busy / total,
    perSecond: latencies.length / elapsed, p50Ms: pick(0.5), p99Ms: pick(0.99), count: latencies.length };
}

/** Busy and total jiffies of all cores together (the `cpu` line of /proc/stat). */
function machineCpuTicks(): { busy: number; total: number } {
  const fields = (/^cpu\s+(.+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? '').trim().split(/\s+/).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

function machine(): string {
  const model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return `${cpus().length} CPUs (${model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(freemem() / 2 ** 30).toFixed(1)} GiB free), Node ${process.version}`;
}

async function main(): Promise<void> {
  // Plain JavaScript run by plain node, as production runs the gateway (see `transpiledToOut`).
  const serverScript = transpiledToOut(join(__dirname, 'checkout-create-server.ts'));
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const dataDir = mkdtempSync(join(tmpdir(), 'coinstile-bench-'));
  const databaseUrl = await postgres.createDatabase();
  const compareScript = COMPARE_TREE === undefined ? undefined : transpiledToOut(join(COMPARE_TREE, 'bench', 'checkout-create-server.ts'));
  const startServer = (extraEnv: Record<string, string> = {}, extraNodeArgs: readonly string[] = [], script = serverScript): ChildProcess =>
    fork(script, [], {
      execArgv: [...GATEWAY_NODE_ARGS, ...extraNodeArgs, ...(process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean), ...(process.env['BENCH_TRACE_GC'] ? ['--trace-gc'] : []), ...(process.env['BENCH_HEAP_PROF'] ? ['--heap-prof', `--heap-prof-dir=${process.env['BENCH_HEAP_PROF']}`] : []), ...(process.env['BENCH_SERVER_PROF'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_SERVER_PROF']}`] : [])],
      env: {
        ...process.env,
        BENCH_DATABASE_URL: databaseUrl,
        BENCH_REDIS_URL: redis.url,
        BENCH_OPERATOR_TOKEN: OPERATOR_TOKEN,
        BENCH_DATA_DIR: dataDir,
        ...extraEnv,
      },
      stdio: 'inherit',
    });
  const listening = (server: ChildProcess) =>
    new Promise<URL>((resolve, reject) => {
      server.once('message', (m: { url: string }) => resolve(new URL(m.url)));
      server.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
    });
  // The first gateway migrates the database alone; the others start on the migrated schema.
  const servers: ChildProcess[] = [startServer()];
  let closeLoadClients = (): void => undefined;
  try {
    const bases = [await listening(servers[0]!)];
    for (let n = 1; n < (COMPARING ? 2 : GATEWAYS); n += 1) {
      const server = COMPARING ? startServer(COMPARE_ENV, COMPARE_NODE_ARGS, compareScript) : startServer();
      servers.push(server);
      bases.push(await listening(server));
    }
    const base = bases[0]!;
    /** When comparing, the gateway the current slice drives (0: A, 1: B); otherwise requests go round. */
    let comparedGateway = 0;
    const baseFor = (i: number) => (COMPARING ? bases[comparedGateway]! : bases[i % bases.length]!);
    const op = { authorization: `Bearer ${OPERATOR_TOKEN}` };
    const store = JSON.parse(
      (
        await call(base, 'POST', '/v1/stores', {
          name: 'Bench Store',
          payoutCurrency: 'JPY',
          payoutAccount: { iban: 'DE89370400440532013000', holderName: 'Bench' },
          wallets: { BTC: { xpub: BIP84_ZPUB } },
        }, op)
      ).body,
    ) as { id: string };
    await call(base, 'POST', `/v1/stores/${store.id}/verify`, undefined, op);
    const { key } = JSON.parse((await call(base, 'POST', `/v1/stores/${store.id}/api-keys`, { scopes: ['checkouts:write'] }, op)).body) as { key: string };
    const auth = { authorization: `Bearer ${key}` };
    const runId = Date.now().toString(36);

    const loadClients = new Map(bases.map((b) => [b, new KeepAliveLoadClient(b.hostname, Number(b.port), CONCURRENCY)]));
    closeLoadClients = () => loadClients.forEach((client) => client.close());
    const send = (b: URL, path: string, body: unknown, headers: Record<string, string>): Promise<number> =>
      NODE_HTTP_CLIENT ? call(b, 'POST', path, body, headers).then((r) => r.status) : loadClients.get(b)!.send('POST', path, headers, JSON.stringify(body));
    const checkout = (i: number) =>
      send(baseFor(i), '/v1/checkouts', { orderId: `B-${runId}-${i}`, amount: '4980', currency: 'JPY', asset: 'BTC' }, { ...auth, 'idempotency-key': `${runId}-${i}` });
    const bare = (i: number) => send(baseFor(i), '/bench/bare-insert', { orderId: `B-${runId}-${i}`, amount: '4980' }, {});

    const row = (label: string, r: PhaseResult) =>
      `${label.padEnd(34)} ${r.perSecond.toFixed(0).padStart(7)}/s   p50 ${r.p50Ms.toFixed(1).padStart(6)} ms   p99 ${r.p99Ms.toFixed(1).padStart(6)} ms   gateway CPU ${r.cpuUsPerRequest.toFixed(0).padStart(4)} µs/req (event loop ${r.eventLoopUsPerRequest.toFixed(0).padStart(4)})   client CPU ${r.clientCpuUsPerRequest.toFixed(0).padStart(4)} µs/req   cores busy ${(r.machineBusy * 100).toFixed(0)}%   (${r.count} in ${SECONDS} s)`;
    if (COMPARING) {
      const samples: [PhaseSample[], PhaseSample[]] = [[], []];
      for (const gateway of [0, 1] as const) {
        comparedGateway = gateway;
        await phase('warm-up', WARMUP_SECONDS, checkout, [servers[gateway]!], (gateway + 1) * 1e9);
      }
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const gateway of round % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const)) {
          comparedGateway = gateway;
          samples[gateway].push(await phase('checkouts', SECONDS / ROUNDS, checkout, [servers[gateway]!], round * 1e7 + gateway * 5e6));
        }
      }
      const [a, b] = [summarize(samples[0]), summarize(samples[1])];
      console.log(`\nmachine: ${machine()}`);
      console.log(`concurrency ${CONCURRENCY}, ${SECONDS} s per gateway in ${ROUNDS} alternating slices, keep-alive HTTP\n`);
      console.log(row('A: checkouts', a));
      console.log(row('B: checkouts', b));
      console.log(`\nB: ${[...(COMPARE_TREE === undefined ? [] : [`the tree at ${COMPARE_TREE}`]), ...Object.entries(COMPARE_ENV).map(([k, v]) => `${k}=${v}`), ...COMPARE_NODE_ARGS].join(' ')}`);
      console.log(`B / A throughput: ${(b.perSecond / a.perSecond).toFixed(3)}; event loop per checkout ${(b.eventLoopUsPerRequest / a.eventLoopUsPerRequest).toFixed(3)}`);
      console.log(`load average while running: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
      return;
    }
    await phase('warm-up', WARMUP_SECONDS, checkout, servers, 1e9);
    if (!CHECKOUTS_ONLY) await phase('warm-up', WARMUP_SECONDS, bare, servers, 1e9);
    // The two phases alternate in short slices, so load that comes and goes on a shared machine weighs on
    // both alike and the ratio stays meaningful.
    const checkoutSamples: PhaseSample[] = [];
    const bareSamples: PhaseSample[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      checkoutSamples.push(await phase('checkouts', SECONDS / ROUNDS, checkout, servers, round * 1e7));
      if (!CHECKOUTS_ONLY) bareSamples.push(await phase('bare insert', SECONDS / ROUNDS, bare, servers, round * 1e7));
    }
    const c = summarize(checkoutSamples);
    const b = CHECKOUTS_ONLY ? undefined : summarize(bareSamples);
    console.log(`\nmachine: ${machine()}`);
    console.log(`concurrency ${CONCURRENCY}, ${SECONDS} s per phase in ${ROUNDS} alternating slices, keep-alive HTTP, ${GATEWAYS === 1 ? 'gateway in its own process' : `${GATEWAYS} gateway processes, requests in turn`}\n`);
    console.log(row('POST /v1/checkouts (asset BTC)', c));
    if (b) {
      console.log(row('bare INSERT endpoint', b));
      console.log(`\nratio checkouts / bare insert: ${(c.perSecond / b.perSecond).toFixed(2)}`);
    }
    console.log(`load average while running: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    closeLoadClients();
    agent.destroy();
    await Promise.all(
      servers.map((server) => {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGTERM');
        return server.exitCode === null && server.signalCode === null ? exited : undefined;
      }),
    );
    await Promise.allSettled([postgres.stop(), redis.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
