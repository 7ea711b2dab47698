import { connect, type Socket } from 'node:net';

/**
 * The load generator's HTTP/1.1 client: a fixed set of kept-alive connections, each carrying one request
 * at a time, written as one buffer and read back only as far as the status and `Content-Length`.
 *
 * Why not `node:http`: the benchmark runs its load generator on the same two cores as the gateway, and
 * `http.request` (a `ClientRequest`, header validation, an `IncomingMessage` stream per response) cost
 * ~90 µs of CPU per request there, taken from the gateway it measures. A production gateway's clients
 * run elsewhere. This client needs a fraction of that, so the figures say more about the gateway.
 */
export class KeepAliveLoadClient {
  readonly #idle: Connection[] = [];
  readonly #all: Connection[] = [];
  readonly #waiting: ((connection: Connection) => void)[] = [];

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly connections: number,
  ) {}

  /** Sends one request on a free connection; resolves with the status once the whole response is in. */
  async send(method: string, path: string, headers: Readonly<Record<string, string>>, body: string): Promise<number> {
    const connection = await this.#acquire();
    try {
      return await connection.exchange(requestBytes(method, path, this.host, headers, body));
    } finally {
      this.#release(connection);
    }
  }

  close(): void {
    for (const connection of this.#all) connection.close();
  }

  #acquire(): Promise<Connection> {
    const idle = this.#idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.#all.length < this.connections) {
      const connection = new Connection(this.host, this.port);
      this.#all.push(connection);
      return Promise.resolve(connection);
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(connection: Connection): void {
    if (connection.broken) {
      this.#all.splice(this.#all.indexOf(connection), 1);
      const waiter = this.#waiting.shift();
      if (waiter) void this.#acquire().then(waiter);
      return;
    }
    const waiter = this.#waiting.shift();
    if (waiter) waiter(connection);
    else this.#idle.push(connection);
  }
}

function requestBytes(method: string, path: string, host: string, headers: Readonly<Record<string, string>>, body: string): Buffer {
  const bodyBytes = Buffer.from(body, 'utf8');
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\nconnection: keep-alive\r\ncontent-type: application/json\r\ncontent-length: ${bodyBytes.length}\r\n`;
  for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), bodyBytes]);
}

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');

class Connection {
  readonly #socket: Socket;
  #buffered: Buffer = Buffer.alloc(0);
  #pending: { resolve(status: number): void; reject(err: Error): void } | undefined;
  broken = false;

  constructor(host: string, port: number) {
    this.#socket = connect({ host, port, noDelay: true });
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', (err) => this.#fail(err));
    this.#socket.on('close', () => this.#fail(new Error('connection closed by the server')));
  }

  exchange(request: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.broken) return reject(new Error('connection is closed'));
      this.#pending = { resolve, reject };
      this.#socket.write(request);
    });
  }

  close(): void {
    this.broken = true;
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    const headerEnd = this.#buffered.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = this.#buffered.toString('latin1', 0, headerEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) return this.#fail(new Error(`response without Content-Length: ${head.split('\r\n')[0]}`));
    const end = headerEnd + HEADER_END.length + Number(length[1]);
    if (this.#buffered.length < end) return;
    if (this.#buffered.length > end) return this.#fail(new Error('bytes beyond the response: the server sent more than was asked'));
    this.#buffered = Buffer.alloc(0);
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.resolve(Number(head.slice(9, 12)));
  }

  #fail(err: Error): void {
    this.broken = true;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(err);
  }
}
