/**
 * How much of each request outlives a young-generation collection (a scavenge) in a one-route HTTP server,
 * for the variants that found the cause of the checkout benchmark's GC tail (bench/README, "Checkout
 * creation"): plain `node:http`; `node:http` calling `Object.setPrototypeOf` on every request and response
 * (as Express's init middleware does); Express on `app.listen`; Express on `createExpressServer` (requests
 * born with the app's prototypes); and that with the in-flight responses tracked in a `Set` (added, then
 * deleted on close) or noted on each connection (what `httpServerComponent` does).
 *
 * Each variant runs in its own process with `--max-semi-space-size=64 --trace-gc-nvp`, 64 keep-alive clients
 * for 5 s; the figure is the median of `new_space_survived` over its scavenges (bytes that lived through one).
 *
 * Run: `npm run bench:express-survivors`.
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';

const VARIANTS = ['node-http', 'node-http-set-prototype', 'express-listen', 'express-born', 'express-born-response-set', 'express-born-on-connection'] as const;
type Variant = (typeof VARIANTS)[number];
const SECONDS = 5;
const CONCURRENCY = 64;

/** The server of one variant, run in a child process (this file with `--server <variant>`). */
async function serve(variant: Variant): Promise<void> {
  const http = await import('node:http');
  const { default: express } = await import('express');
  const { createExpressServer } = await import('@coinstile/platform');
  const answer = (res: import('node:http').ServerResponse, orderId: unknown) =>
    setTimeout(() => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'co_1', orderId }));
    }, 5);
  const plain = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(res, (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { orderId: unknown }).orderId));
  };
  const app = express();
  app.use(express.json());
  app.post('/x', (req, res) => {
    setTimeout(() => res.status(201).json({ id: 'co_1', orderId: (req.body as { orderId: unknown }).orderId }), 5);
  });
  let server: import('node:http').Server;
  switch (variant) {
    case 'node-http':
      server = http.createServer(plain);
      break;
    case 'node-http-set-prototype': {
      const requestPrototype = Object.create(http.IncomingMessage.prototype) as object;
      const responsePrototype = Object.create(http.ServerResponse.prototype) as object;
      server = http.createServer((req, res) => {
        Object.setPrototypeOf(req, requestPrototype);
        Object.setPrototypeOf(res, responsePrototype);
        plain(req, res);
      });
      break;
    }
    case 'express-listen':
      server = http.createServer(app);
      break;
    case 'express-born':
    case 'express-born-response-set':
    case 'express-born-on-connection':
      server = createExpressServer(app);
      break;
  }
  if (variant === 'express-born-response-set') {
    const open = new Set<import('node:http').ServerResponse>();
    server.on('request', (_req, res: import('node:http').ServerResponse) => {
      open.add(res);
      res.once('close', () => open.delete(res));
    });
  }
  if (variant === 'express-born-on-connection') {
    const inFlight = Symbol('inFlight');
    server.on('request', (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      const socket = req.socket as unknown as Record<symbol, unknown>;
      socket[inFlight] = res;
      res.once('finish', () => {
        if (socket[inFlight] === res) socket[inFlight] = undefined;
      });
    });
  }
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as import('node:net').AddressInfo).port));
}

async function measure(script: string, variant: Variant): Promise<{ variant: Variant; requestsPerSecond: number; survivedMedianMb: number; pauseMedianMs: number }> {
  const child = fork(script, ['--server', variant], { execArgv: ['--max-semi-space-size=64', '--trace-gc-nvp'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let trace = '';
  child.stdout?.on('data', (d: Buffer) => (trace += d.toString('utf8')));
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(m as number)));
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let sent = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ orderId: `B-${sent++}`, amount: '4980' });
      const req = request({ agent, port, host: '127.0.0.1', method: 'POST', path: '/x', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (Date.now() < deadline) await one(); }));
  agent.destroy();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  await exited;
  // The last second's scavenges, after the young generation has grown to its working size.
  const scavenges = trace.split('\n').filter((line) => line.includes('gc=s')).slice(-8);
  const field = (line: string, name: string) => Number(new RegExp(`${name}=([0-9.]+)`).exec(line)?.[1] ?? NaN);
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  return {
    variant,
    requestsPerSecond: Math.round(sent / SECONDS),
    survivedMedianMb: Math.round((median(scavenges.map((l) => field(l, 'new_space_survived'))) / 2 ** 20) * 100) / 100,
    pauseMedianMs: median(scavenges.map((l) => field(l, 'pause'))),
  };
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--server');
  if (at >= 0) return serve(process.argv[at + 1] as Variant);
  // Each server runs this file as plain JavaScript under plain node (see `transpiledToOut`); imported here
  // only, so the transpiled copy in bench/out needs nothing beside it.
  const { transpiledToOut } = require('./bench-support') as typeof import('./bench-support');
  const script = transpiledToOut(__filename);
  for (const variant of VARIANTS) {
    const r = await measure(script, variant);
    console.log(`${r.variant.padEnd(28)} ${String(r.requestsPerSecond).padStart(6)}/s   survived per scavenge ${r.survivedMedianMb.toFixed(2).padStart(6)} MB   scavenge pause ${r.pauseMedianMs.toFixed(1)} ms`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
