import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ID_RANDOM_BYTES, makeId, type Clock, type IdPrefix, type RandomSource, type StoreId } from '@coinstile/core';
import type { Database, OutboxEventJob } from '@coinstile/platform';

export const random: RandomSource = { bytes: (n) => new Uint8Array(randomBytes(n)) };

/** A clock the test moves by hand, so backoff schedules are checked without waiting for them. */
export class ManualClock implements Clock {
  constructor(public ms: number = Date.now()) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export function newId<P extends IdPrefix>(prefix: P) {
  return makeId(prefix, Date.now(), randomBytes(ID_RANDOM_BYTES));
}

export async function insertStore(db: Database): Promise<StoreId> {
  const id = newId('st');
  await db.kysely
    .insertInto('stores')
    .values({ id, name: 'Webhook store', status: 'active', payout_currency: 'JPY', payout_account: JSON.stringify({ iban: 'DE89370400440532013000', holderName: 'X' }) })
    .execute();
  return id;
}

let sequence = 1_000;
/** An outbox event as the relay hands it to the fan-out. */
export function event(storeId: string, checkoutId: string, type: string): OutboxEventJob {
  sequence += 1;
  return {
    eventId: `${checkoutId}:${type}`,
    eventType: type,
    aggregateType: 'checkout',
    aggregateId: checkoutId,
    sequence: String(sequence),
    payload: { type, storeId, checkoutId },
    createdAt: new Date().toISOString(),
  };
}

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  respond: (r: Received) => number | 'hang';
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const state = { respond: (_r: Received): number | 'hang' => 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const answer = state.respond(r);
      if (answer !== 'hang') res.writeHead(answer).end(answer >= 400 ? `boom ${'y'.repeat(5000)}` : 'thanks');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
