/**
 * The floor under the detection target (issue #5: one block pays N checkouts → every `order.released`
 * webhook received, p99 ≤ 500 ms for N up to 5,000): how long this machine takes merely to SEND N signed
 * webhooks to the store's endpoint and have them received, with nothing else to do: no chain, no
 * database, no queue, bodies prepared in advance.
 *
 * The sender does the least a webhook needs: Node's HTTP client over keep-alive connections, 128 requests
 * in flight (the dispatcher's default), each body signed as Coinstile signs it (`signWebhookPayload`:
 * HMAC-SHA256 over `t.body`, the `t=…,v1=…` header). The receiver is the one `bench:detection` uses
 * (`webhook-receiver.ts`, a plain Node HTTP server in a child process, as a merchant's would be). The
 * bodies have the size and shape of a real `order.released`, each with its receipt signed (Ed25519) by the
 * receipts' own code; the CPU for building and signing them is reported apart from the sending.
 *
 * Prints, per N, the wall time from the first request to the last arrival, the p50/p99 arrival time, and
 * the CPU seconds of the sender and of the receiver. On a machine whose cores also run the verifier,
 * PostgreSQL, Redis and the pipeline, the whole detection path can only be slower than this.
 *
 * Then the database's part of the floor: PostgreSQL's CPU per row for 5,000 rows inserted by ONE bulk
 * statement (`INSERT … SELECT` from `generate_series`, a text primary key, one more index, a jsonb column),
 * the cheapest way any design can write a settlement's rows; read from the backend's /proc CPU time.
 *
 * Run: `npm run bench:webhook-floor`; `WEBHOOK_FLOOR_SIZES` (default `100,1000,5000`), `WEBHOOK_FLOOR_ROUNDS`
 * (default 3).
 */
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { SIGNATURE_HEADER, signWebhookPayload } from '@coinstile/gateway/dist/webhooks/webhook-signature';
import { signCompactJws } from '@coinstile/merchant-payouts/dist/receipts/compact-jws';
import { startPostgres } from '@coinstile/testkit';
import { Client } from 'pg';
import { percentile, processCpuSeconds } from './bench-support';
import { startReceiver, type Receiver } from './webhook-receiver';

const SIZES = (process.env['WEBHOOK_FLOOR_SIZES'] ?? '100,1000,5000').split(',').map(Number);
const ROUNDS = Number(process.env['WEBHOOK_FLOOR_ROUNDS'] ?? 3);
/** The dispatcher's default number of requests in flight (`WebhookDispatcher`, `concurrency`). */
const IN_FLIGHT = 128;
const TARGET_MS = 500;

/**
 * An `order.released` body as the fan-out freezes it (`webhookBody`), with its receipt: a compact JWS
 * signed here with Ed25519 by the receipts' own `signCompactJws`, as every release signs one.
 */
function orderReleasedBody(checkoutId: string, receiptKey: KeyObject): string {
  const now = new Date().toISOString();
  const receiptClaims = { checkoutId, storeId: 'st_01JBENCHSTORE0000000000000', priceMinor: '4980', currency: 'JPY', asset: 'LTC', amountBase: '41498271', txids: [randomBytes(32).toString('hex')], releasedAt: now };
  return JSON.stringify({
    id: `${checkoutId}:order.released`,
    type: 'order.released',
    createdAt: now,
    data: {
      type: 'order.released',
      storeId: 'st_01JBENCHSTORE0000000000000',
      checkoutId,
      orderId: `ORDER-${checkoutId.slice(-8)}`,
      items: [],
      metadata: {},
      priceMinor: '4980',
      currency: 'JPY',
      asset: 'LTC',
      rate: '12000.5',
      amountDueBase: '41498271',
      amountReceivedBase: '41498271',
      txids: [randomBytes(32).toString('hex')],
      payments: [{ txid: randomBytes(32).toString('hex'), outputIndex: 3, amountBase: '41498271', confirmations: 1 }],
      feeMinor: '50',
      netMinor: '4930',
      escrow: false,
      releasedAt: now,
      receipt: signCompactJws({ alg: 'EdDSA', typ: 'coinstile-receipt+jws', kid: 'bench' }, Buffer.from(JSON.stringify(receiptClaims)), receiptKey),
      tenders: [],
    },
  });
}

interface FloorResult {
  readonly n: number;
  readonly round: number;
  readonly wallMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Building the N bodies, each with its signed receipt (before the first request). */
  readonly bodiesCpuS: number;
  readonly senderCpuS: number;
  readonly receiverCpuS: number;
}

async function sendAll(receiver: Receiver, n: number, round: number): Promise<FloorResult> {
  const url = new URL(receiver.url);
  const secret = randomBytes(32).toString('hex');
  const ids = Array.from({ length: n }, (_, i) => `co_floor${round}x${i.toString().padStart(6, '0')}${randomBytes(4).toString('hex')}`);
  const receiptKey = generateKeyPairSync('ed25519').privateKey;
  const bodiesCpuBefore = process.cpuUsage();
  const bodies = ids.map((id) => orderReleasedBody(id, receiptKey));
  const bodiesCpu = process.cpuUsage(bodiesCpuBefore);
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const send = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: url.pathname,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            [SIGNATURE_HEADER]: signWebhookPayload(secret, body, Math.floor(Date.now() / 1000)),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode !== undefined && res.statusCode < 300 ? resolve() : reject(new Error(`receiver answered ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const receiverCpuBefore = receiver.cpuSeconds();
  const cpuBefore = process.cpuUsage();
  const startedAt = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(IN_FLIGHT, n) }, async () => {
      while (next < n) await send(bodies[next++]!);
    }),
  );
  // Arrivals are noted by the receiver; its stdout may trail the last answer by a moment.
  while (!ids.every((id) => receiver.received.has(id))) await new Promise((resolve) => setTimeout(resolve, 5));
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  const arrivals = ids.map((id) => receiver.received.get(id)! - startedAt).sort((a, b) => a - b);
  return {
    n,
    round,
    wallMs: arrivals[arrivals.length - 1]!,
    p50Ms: percentile(arrivals, 50),
    p99Ms: percentile(arrivals, 99),
    bodiesCpuS: (bodiesCpu.user + bodiesCpu.system) / 1e6,
    senderCpuS: (cpu.user + cpu.system) / 1e6,
    receiverCpuS: receiver.cpuSeconds() - receiverCpuBefore,
  };
}

/** PostgreSQL backend CPU (µs) per row of a 5,000-row bulk insert, per round. */
async function bulkInsertFloor(rounds: number): Promise<number[]> {
  const postgres = await startPostgres();
  const client = new Client({ connectionString: await postgres.createDatabase() });
  try {
    await client.connect();
    await client.query('CREATE TABLE floor_rows (id text PRIMARY KEY, checkout_id text NOT NULL, amount_base bigint NOT NULL, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
    await client.query('CREATE INDEX floor_rows_checkout ON floor_rows (checkout_id)');
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const backendCpuUs = () => processCpuSeconds(pid) * 1e6;
    const perRow: number[] = [];
    for (let round = 0; round <= rounds; round += 1) {
      const before = backendCpuUs();
      await client.query(
        `INSERT INTO floor_rows (id, checkout_id, amount_base, body)
         SELECT $1 || g, 'co_' || g, g, jsonb_build_object('txid', md5(g::text), 'outputIndex', g % 4) FROM generate_series(1, 5000) g`,
        [`r${round}_`],
      );
      // Round 0 warms the backend's caches and is not counted.
      if (round > 0) perRow.push((backendCpuUs() - before) / 5000);
    }
    return perRow;
  } finally {
    await client.end().catch(() => undefined);
    await postgres.stop();
  }
}

async function main(): Promise<void> {
  const receiver = await startReceiver();
  const results: FloorResult[] = [];
  try {
    // A short warm-up, so the first measured round does not pay for JIT compilation on both sides.
    await sendAll(receiver, 500, 0);
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const n of SIZES) {
        const r = await sendAll(receiver, n, round);
        results.push(r);
        console.log(
          `N = ${String(n).padStart(5)}  round ${round}:  last arrival ${String(r.wallMs).padStart(5)} ms  p50 ${String(r.p50Ms).padStart(5)} ms  p99 ${String(r.p99Ms).padStart(5)} ms` +
            `  CPU: bodies + receipts ${r.bodiesCpuS.toFixed(2)} s, sending ${r.senderCpuS.toFixed(2)} s, receiver ${r.receiverCpuS.toFixed(2)} s${r.p99Ms > TARGET_MS ? `  (p99 over ${TARGET_MS} ms before any other work)` : ''}`,
        );
      }
    }
  } finally {
    await receiver.stop();
  }
  // The backend's CPU time has 10 ms ticks: 5,000 rows give a resolution of 2 µs per row.
  const pgPerRowUs = await bulkInsertFloor(ROUNDS);
  console.log(`\nPostgreSQL, one bulk INSERT of 5,000 rows: ${pgPerRowUs.map((us) => us.toFixed(0)).join(' / ')} µs of backend CPU per row`);
  console.log(`\n${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(JSON.stringify({ inFlight: IN_FLIGHT, results, pgBulkInsertUsPerRow: pgPerRowUs }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
