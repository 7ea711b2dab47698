/**
 * `npm run bench` — every benchmark in `bench/`, one after another (they each start their own PostgreSQL,
 * redis-server or litecoind through testkit, so running them together would only measure each other).
 * Figures are read from each benchmark's stable output lines (or its final JSON), written to
 * `bench/results.json`, and summarised in a table at the top of `bench/README.md` between the
 * `bench:summary` markers. `npm run bench -- --quick` runs short, smaller variants (for a smoke check: the
 * figures of a quick run are not comparable with a full run's and are labelled as such).
 *
 * Assumes the workspaces are built (`npm run bench` runs `tsc -b` first).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

const QUICK = process.argv.includes('--quick');
const ROOT = join(__dirname, '..');
const TS_NODE = ['-r', 'ts-node/register/transpile-only'];

/** One goal of DESIGN.md's targets (or a benchmark's own) and the figure measured against it. */
interface Figure {
  readonly benchmark: string;
  readonly goal: string;
  readonly metric: string;
  readonly value: number | null;
  readonly unit: string;
  /** `met` / `not met` against the goal, or null when the goal is not a threshold on this figure. */
  readonly met: boolean | null;
  /** The baseline measured in the same run (e.g. the bare INSERT beside checkout creation). */
  readonly baseline?: { readonly metric: string; readonly value: number | null; readonly unit: string };
  /** value / baseline value. */
  readonly ratio?: number | null;
  readonly note?: string;
}

interface BenchRun {
  readonly name: string;
  readonly command: string;
  readonly exitCode: number | null;
  readonly seconds: number;
  readonly figures: readonly Figure[];
  /** Why no figures were read (exit code, parse failure). */
  readonly error?: string;
}

interface Benchmark {
  readonly name: string;
  readonly argv: readonly string[];
  readonly env: Record<string, string>;
  readonly parse: (stdout: string) => Figure[];
}

const num = (s: string | undefined): number | null => {
  if (s === undefined) return null;
  const n = Number(s.replace(/,/g, ''));
  return Number.isFinite(n) ? n : null;
};
const round = (n: number | null, digits = 2): number | null => (n === null ? null : Number(n.toFixed(digits)));
const ratioOf = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : round(a / b, 2));
const atLeast = (v: number | null, goal: number): boolean | null => (v === null ? null : v >= goal);
const atMost = (v: number | null, goal: number): boolean | null => (v === null ? null : v <= goal);

/** The last top-level JSON object a benchmark printed (pretty-printed over several lines). */
function lastJson(stdout: string): Record<string, unknown> {
  const start = stdout.lastIndexOf('\n{');
  const text = start >= 0 ? stdout.slice(start + 1) : stdout.startsWith('{') ? stdout : '';
  const end = text.lastIndexOf('}');
  if (end < 0) throw new Error('no JSON object in the output');
  return JSON.parse(text.slice(0, end + 1)) as Record<string, unknown>;
}

function match(stdout: string, re: RegExp, what: string): RegExpExecArray {
  const m = re.exec(stdout);
  if (!m) throw new Error(`output line not found: ${what}`);
  return m;
}

const benchmarks: readonly Benchmark[] = [
  {
    name: 'checkout creation',
    argv: [...TS_NODE, 'bench/checkout-create.ts'],
    env: { BENCH_SECONDS: QUICK ? '3' : '10' },
    parse(out) {
      const line = (label: string) =>
        match(out, new RegExp(`${label.replace(/[()/]/g, '\\$&')}\\s+(\\d+)/s\\s+p50\\s+([\\d.]+) ms\\s+p99\\s+([\\d.]+) ms\\s+gateway CPU\\s+(\\d+)`), label);
      const c = line('POST /v1/checkouts (asset BTC)');
      const b = line('bare INSERT endpoint');
      const perSecond = num(c[1]);
      const bare = num(b[1]);
      const p99 = num(c[3]);
      return [
        {
          benchmark: 'checkout creation',
          goal: '>= 2,000 checkouts/s',
          metric: 'POST /v1/checkouts throughput',
          value: perSecond,
          unit: 'checkouts/s',
          met: atLeast(perSecond, 2000),
          baseline: { metric: 'bare INSERT endpoint', value: bare, unit: 'requests/s' },
          ratio: ratioOf(perSecond, bare),
          note: `ratio goal >= 0.33; gateway CPU ${c[4]} µs/checkout`,
        },
        { benchmark: 'checkout creation', goal: 'p99 <= 50 ms', metric: 'POST /v1/checkouts p99', value: p99, unit: 'ms', met: atMost(p99, 50) },
      ];
    },
  },
  {
    name: 'FX quotes',
    argv: [...TS_NODE, 'bench/fx-quotes.ts'],
    env: { FX_BENCH_SECONDS: QUICK ? '1' : '3' },
    parse(out) {
      const rates = new Map<string, number | null>();
      for (const m of Array.from(out.matchAll(/^(.+?)\s+(\d+) quotes\/s/gm))) rates.set(m[1]!.trim(), num(m[2]));
      const pricing = rates.get('pure pricing (rate + spread + round-up + id + sign)') ?? null;
      const group = rates.get('lock + persist, PostgreSQL, group commit') ?? null;
      const single = rates.get('lock + persist, PostgreSQL, one INSERT per quote') ?? null;
      if (rates.size === 0) throw new Error('no "quotes/s" lines');
      return [
        {
          // Issue #4's goal is quote creation in-process; the durable write is measured beside it.
          benchmark: 'FX quotes',
          goal: '>= 20,000 quotes/s in-process (bench/fx-quotes.ts)',
          metric: 'quote creation in-process: rate + spread + round-up + id + signature',
          value: pricing,
          unit: 'quotes/s',
          met: atLeast(pricing, 20_000),
          note: Array.from(rates).map(([k, v]) => `${k}: ${v}/s`).join('; '),
        },
        {
          benchmark: 'FX quotes',
          goal: 'no stated target (each quote also written to PostgreSQL)',
          metric: 'quote lock + persist, PostgreSQL, group commit',
          value: group,
          unit: 'quotes/s',
          met: null,
          baseline: { metric: 'one INSERT per quote', value: single, unit: 'quotes/s' },
          ratio: ratioOf(group, single),
        },
      ];
    },
  },
  {
    name: 'verifier matching',
    argv: ['--expose-gc', ...TS_NODE, 'bench/verifier-matching.ts'],
    env: QUICK ? { VERIFIER_BENCH_ADDRESSES: '100000', VERIFIER_BENCH_ROUNDS: '3' } : {},
    parse(out) {
      const j = lastJson(out) as {
        watchedAddresses: number;
        parseMs: { wallP50: string; cpuP50: string };
        parseAndMatchMs: { wallP50: string; wallP95: string; cpuP50: string };
        peakRssMiB: number;
      };
      const cpu = num(j.parseAndMatchMs.cpuP50);
      const wall = num(j.parseAndMatchMs.wallP50);
      const scale = `${j.watchedAddresses.toLocaleString('en')} watched addresses`;
      return [
        {
          benchmark: 'verifier matching',
          goal: '4,000-tx block matched <= 100 ms (1,000,000 addresses)',
          metric: `parse + match p50 CPU (${scale})`,
          value: cpu,
          unit: 'ms',
          met: atMost(cpu, 100),
          baseline: { metric: 'parse alone p50 CPU', value: num(j.parseMs.cpuP50), unit: 'ms' },
          ratio: ratioOf(cpu, num(j.parseMs.cpuP50)),
          note: `wall p50 ${wall} ms, p95 ${j.parseAndMatchMs.wallP95} ms; ratio goal <= 2`,
        },
        { benchmark: 'verifier matching', goal: 'memory <= 1 GiB', metric: `peak RSS (${scale})`, value: j.peakRssMiB, unit: 'MiB', met: atMost(j.peakRssMiB, 1024) },
      ];
    },
  },
  {
    name: 'verifier detection',
    argv: [...TS_NODE, 'bench/verifier-detection.ts'],
    env: { VERIFIER_DETECTION_SIZES: QUICK ? '100,1000' : '100,1000,5000' },
    parse(out) {
      const j = lastJson(out) as { results: { checkouts: number; settled: { p50Ms: number; p99Ms: number }; webhook: { p50Ms: number; p99Ms: number } }[] };
      return j.results.map((r) => ({
        benchmark: 'verifier detection',
        goal: 'block → settled and order.released webhook received, p99 <= 500 ms (N up to 5,000)',
        metric: `block → webhook received p99, N = ${r.checkouts.toLocaleString('en')}`,
        value: r.webhook.p99Ms,
        unit: 'ms',
        met: atMost(r.webhook.p99Ms, 500),
        note: `webhook p50 ${r.webhook.p50Ms} ms; block → settled p50 ${r.settled.p50Ms} ms, p99 ${r.settled.p99Ms} ms`,
      }));
    },
  },
  {
    name: 'pipeline',
    argv: [...TS_NODE, 'bench/pipeline.ts'],
    env: { PIPELINE_BENCH_CHECKOUTS: QUICK ? '3000' : '20000', TS_NODE_PROJECT: 'tsconfig.test.json' },
    parse(out) {
      const raw = num(match(out, /BullMQ raw add\+process .*?: (\d+) jobs\/s/, 'BullMQ raw')[1]);
      const m = match(out, /pipeline: (\d+) settlements .* in ([\d.]+) s = (\d+) settlements\/s/, 'pipeline settlements/s');
      const rate = num(m[3]);
      return [
        {
          benchmark: 'pipeline',
          goal: '>= 1,000 settlements/s sustained',
          metric: `settled → payout scheduled (${m[1]} settlements in ${m[2]} s)`,
          value: rate,
          unit: 'settlements/s',
          met: atLeast(rate, 1000),
          baseline: { metric: 'BullMQ raw add+process', value: raw, unit: 'jobs/s' },
          ratio: ratioOf(rate, raw),
        },
      ];
    },
  },
  {
    name: 'bank files',
    argv: [...TS_NODE, 'bench/bank-files.ts'],
    env: { BANK_FILES_BENCH_PAYOUTS: QUICK ? '10000' : '100000', TS_NODE_PROJECT: 'tsconfig.test.json' },
    parse(out) {
      const provider = match(out, /^1\. provider: ([\d,]+) payouts.*?\s([\d.]+) s\s+peak RSS (\d+) MiB/m, 'provider phase');
      const e2e = match(out, /^2\. Postgres: ([\d,]+) scheduled.*?\s([\d.]+) s\s+peak RSS (\d+) MiB/m, 'Postgres phase');
      const count = num(provider[1]) ?? 0;
      const seconds = num(provider[2]);
      // The goal is for 100,000 payouts; a smaller (quick) run is compared at the same rate.
      const goalSeconds = (10 * count) / 100_000;
      return [
        {
          benchmark: 'bank files',
          goal: '100,000 payouts into pain.001 files <= 10 s',
          metric: `provider: ${provider[1]} payouts → files`,
          value: seconds,
          unit: 's',
          met: atMost(seconds, goalSeconds),
          note: `peak RSS ${provider[3]} MiB${count === 100_000 ? '' : `; goal scaled to ${goalSeconds} s for ${provider[1]}`}`,
        },
        {
          benchmark: 'bank files',
          goal: 'no stated target (end to end on PostgreSQL)',
          metric: `Postgres end to end: ${e2e[1]} payouts batched, files, sent + ledger + events`,
          value: num(e2e[2]),
          unit: 's',
          met: null,
        },
      ];
    },
  },
];

function run(bench: Benchmark): Promise<BenchRun> {
  const command = `${Object.entries(bench.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')} node ${bench.argv.join(' ')}`.trim();
  console.log(`\n=== ${bench.name}: ${command}`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...bench.argv], { cwd: ROOT, env: { ...process.env, ...bench.env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      process.stdout.write(chunk);
    });
    child.on('close', (exitCode) => {
      const seconds = round((Date.now() - started) / 1000, 1) ?? 0;
      try {
        if (exitCode !== 0) throw new Error(`exited with code ${exitCode}`);
        resolve({ name: bench.name, command, exitCode, seconds, figures: bench.parse(stdout) });
      } catch (err) {
        resolve({ name: bench.name, command, exitCode, seconds, figures: [], error: err instanceof Error ? err.message : String(err) });
      }
    });
  });
}

function machine() {
  const model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return {
    nproc: cpus().length,
    cpuModel: model,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    freeMemoryGiB: round(freemem() / 2 ** 30, 1),
    node: process.version,
    loadAverage: loadavg().map((l) => round(l, 1)),
  };
}

const fmt = (v: number | null): string => (v === null ? '—' : v.toLocaleString('en', { maximumFractionDigits: 2 }));

function summaryTable(results: { date: string; quick: boolean; machine: ReturnType<typeof machine>; machineAtEnd: ReturnType<typeof machine>; runs: BenchRun[] }): string {
  const m = results.machine;
  const lines = [
    `Latest \`npm run bench${results.quick ? ' -- --quick' : ''}\` (${results.date}; ${m.nproc} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, Node ${m.node}; ` +
      `load average ${m.loadAverage.join(' ')} at start, ${results.machineAtEnd.loadAverage.join(' ')} at end)` +
      (results.quick ? '. **Quick mode: smaller, shorter runs — a smoke check, not the figures of record.**' : '.') +
      ' All figures in `bench/results.json`; each section below explains its benchmark.',
    '',
    '| benchmark | goal | figure | met | baseline (same run) | ratio |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of results.runs) {
    if (r.error !== undefined) {
      lines.push(`| ${r.name} | | **failed**: ${r.error.replace(/\|/g, '\\|')} | | | |`);
      continue;
    }
    for (const f of r.figures) {
      const baseline = f.baseline ? `${f.baseline.metric}: ${fmt(f.baseline.value)} ${f.baseline.unit}` : '';
      const met = f.met === null ? '' : f.met ? 'yes' : '**no**';
      lines.push(`| ${f.benchmark} | ${f.goal} | ${f.metric}: **${fmt(f.value)} ${f.unit}** | ${met} | ${baseline} | ${f.ratio === undefined ? '' : fmt(f.ratio)} |`);
    }
  }
  return lines.join('\n');
}

const START = '<!-- bench:summary:start -->';
const END = '<!-- bench:summary:end -->';

function writeSummary(table: string): void {
  const path = join(ROOT, 'bench', 'README.md');
  const readme = readFileSync(path, 'utf8');
  const block = `${START}\n${table}\n${END}`;
  const s = readme.indexOf(START);
  const e = readme.indexOf(END);
  let next: string;
  if (s >= 0 && e > s) next = readme.slice(0, s) + block + readme.slice(e + END.length);
  else {
    // First run: the block goes after the title and the opening paragraph.
    const firstSection = readme.indexOf('\n## ');
    next = firstSection >= 0 ? `${readme.slice(0, firstSection)}\n${block}\n${readme.slice(firstSection)}` : `${readme}\n${block}\n`;
  }
  writeFileSync(path, next);
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const before = machine();
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const runs: BenchRun[] = [];
  for (const bench of benchmarks) {
    if (only && !only.includes(bench.name)) continue;
    runs.push(await run(bench));
  }
  const results = { date, quick: QUICK, machine: before, machineAtEnd: machine(), runs };
  writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const table = summaryTable(results);
  writeSummary(table);
  console.log(`\n${table}\n\nwrote bench/results.json and the summary in bench/README.md`);
  if (runs.some((r) => r.error !== undefined)) process.exitCode = 1;
}

void main();
