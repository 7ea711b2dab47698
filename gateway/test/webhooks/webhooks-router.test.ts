import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { StoreId } from '@coinstile/core';
import { createLogger, jsonErrorHandler, migrateToLatest, openDatabase, systemClock, type Database } from '@coinstile/platform';
import { startPostgres, type PostgresServer } from '@coinstile/testkit';
import express, { type RequestHandler } from 'express';
import { requireStoreScope, type Principal } from '../../src/auth/principal';
import type { ApiKeyScope } from '../../src/http/schemas';
import { createWebhooksRouter, WebhookStore } from '../../src/webhooks';
import { event, insertStore, newId, random, startReceiver, type Receiver } from './webhook-fixtures';

/** Stands in for the gateway's API key middleware (tested with the gateway): the test names the store and scopes in headers. */
const testAuthenticate: RequestHandler = (req, res, next) => {
  const storeId = req.get('x-test-store');
  if (storeId) {
    const principal: Principal = { kind: 'store', storeId: storeId as StoreId, keyId: 'key_test', scopes: new Set((req.get('x-test-scopes') ?? '').split(',') as ApiKeyScope[]) };
    // Where the gateway's `authenticate` puts the caller (see auth/authenticate.ts).
    res.locals['principal'] = principal;
  }
  next();
};

describe('/v1/webhooks router', () => {
  let postgres: PostgresServer;
  let db: Database;
  let receiver: Receiver;
  const servers: Server[] = [];

  beforeAll(async () => {
    postgres = await startPostgres();
    db = await openDatabase({ url: await postgres.createDatabase(), poolSize: 5 });
    await migrateToLatest(db);
    receiver = await startReceiver();
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) s.close();
    await receiver?.close();
    await db?.close();
    await postgres?.stop();
  });

  async function api(allowPrivateTargets: boolean, onRedeliver?: () => void) {
    const app = express();
    app.use(express.json());
    app.use(createWebhooksRouter({ db, clock: systemClock(), random, authenticate: testAuthenticate, requireStoreScope, allowPrivateTargets, ...(onRedeliver ? { onRedeliver } : {}) }));
    app.use(jsonErrorHandler(createLogger({ logLevel: 'silent' })));
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return async (method: string, path: string, storeId: string | null, body?: unknown, scopes = 'webhooks:write') => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (storeId) Object.assign(headers, { 'x-test-store': storeId, 'x-test-scopes': scopes });
      const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
    };
  }

  test('create (secret once), list, get, delete; private targets refused without WEBHOOK_ALLOW_PRIVATE', async () => {
    const storeId = await insertStore(db);
    const strict = await api(false);
    const refused = await strict('POST', '/v1/webhooks', storeId, { url: receiver.url });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('webhook_target_forbidden');
    expect((await strict('POST', '/v1/webhooks', storeId, { url: 'http://localhost:9/x' })).body.error.code).toBe('webhook_target_forbidden');
    expect((await strict('POST', '/v1/webhooks', storeId, { url: 'ftp://example.com/x' })).status).toBe(400);
    expect((await strict('POST', '/v1/webhooks', storeId, { url: 'http://u:p@example.com/x' })).status).toBe(400);
    expect((await strict('POST', '/v1/webhooks', storeId, { nope: 1 })).status).toBe(400);

    const call = await api(true);
    const created = await call('POST', '/v1/webhooks', storeId, { url: receiver.url, eventTypes: ['order.released'], description: 'shop' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: receiver.url, eventTypes: ['order.released'], status: 'enabled', description: 'shop' });
    expect(created.body.id).toMatch(/^wh_/);
    expect(created.body.secret).toMatch(/^whsec_/);
    const listed = await call('GET', '/v1/webhooks', storeId);
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0].secret).toBeUndefined();
    expect((await call('GET', `/v1/webhooks/${created.body.id}`, storeId)).body.id).toBe(created.body.id);

    // Another store cannot see it; a key without the scope and an anonymous call are refused.
    const otherStore = await insertStore(db);
    expect((await call('GET', `/v1/webhooks/${created.body.id}`, otherStore)).status).toBe(404);
    expect((await call('GET', '/v1/webhooks', storeId, undefined, 'checkouts:read')).status).toBe(403);
    expect((await call('GET', '/v1/webhooks', null)).status).toBe(401);
    expect((await call('GET', '/v1/webhooks/not-an-id', storeId)).status).toBe(400);

    expect((await call('DELETE', `/v1/webhooks/${created.body.id}`, storeId)).status).toBe(204);
    expect((await call('GET', `/v1/webhooks/${created.body.id}`, storeId)).status).toBe(404);
    expect((await call('GET', '/v1/webhooks', storeId)).body.data).toEqual([]);
  });

  test('deliveries are listed with paging and redelivered through the API', async () => {
    const storeId = await insertStore(db);
    let woken = 0;
    const call = await api(true, () => (woken += 1));
    const created = await call('POST', '/v1/webhooks', storeId, { url: receiver.url });
    const store = new WebhookStore(db, systemClock(), random);
    for (let i = 0; i < 3; i++) await store.fanOut(event(storeId, newId('co'), 'order.released'));
    const page1 = await call('GET', `/v1/webhooks/${created.body.id}/deliveries?limit=2`, storeId);
    expect(page1.status).toBe(200);
    expect(page1.body.data).toHaveLength(2);
    expect(page1.body.data[0]).toMatchObject({ status: 'pending', attempts: 0, eventType: 'order.released' });
    const page2 = await call('GET', `/v1/webhooks/${created.body.id}/deliveries?limit=2&cursor=${page1.body.nextCursor}`, storeId);
    expect(page2.body.data).toHaveLength(1);
    expect(page2.body.nextCursor).toBeNull();
    expect((await call('GET', `/v1/webhooks/${created.body.id}/deliveries?status=bogus`, storeId)).status).toBe(400);
    expect((await call('GET', `/v1/webhooks/${created.body.id}/deliveries?cursor=xyz`, storeId)).status).toBe(400);

    const deliveryId = page2.body.data[0].id as string;
    const redelivered = await call('POST', `/v1/webhooks/${created.body.id}/deliveries/${deliveryId}/redeliver`, storeId);
    expect(redelivered.status).toBe(202);
    expect(redelivered.body).toMatchObject({ id: deliveryId, status: 'pending' });
    expect(woken).toBe(1);
    const detail = await call('GET', `/v1/webhooks/${created.body.id}/deliveries/${deliveryId}`, storeId);
    expect(detail.body.attemptLog).toEqual([]);
    expect((await call('POST', `/v1/webhooks/${created.body.id}/deliveries/${newId('whd')}/redeliver`, storeId)).status).toBe(404);
  });
});
