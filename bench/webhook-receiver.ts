/**
 * The store's webhook endpoint in the benchmarks: a plain Node HTTP server in a child process (a merchant's
 * server, not Coinstile's), which answers 204 and notes when each `order.released` arrived, by its `data.checkoutId`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { processCpuSeconds } from './bench-support';

/** The store's webhook endpoint: answers 204 and prints `<checkoutId> <epoch ms>` per `order.released`. */
const RECEIVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    res.writeHead(204).end();
    try {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (event.type === 'order.released') process.stdout.write(event.data.checkoutId + ' ' + at + '\\n');
    } catch {}
  });
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => process.stdout.write('listening ' + server.address().port + '\\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

export interface Receiver {
  readonly url: string;
  /** Event arrivals: checkout id → epoch ms. */
  readonly received: Map<string, number>;
  /** The receiver process's CPU seconds so far (user + system). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['pipe', 'pipe', 'pipe'] });
  const received = new Map<string, number>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`webhook receiver exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [first, second] = line.split(' ');
      if (first === 'listening') resolve(Number(second));
      else if (first !== undefined && second !== undefined && !received.has(first)) received.set(first, Number(second));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    cpuSeconds: () => processCpuSeconds(child.pid!),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

