import { once } from 'node:events';
import { Agent, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createExpressServer, listenExpress } from '../src';
import { httpRequest } from './http-client';

describe('createExpressServer: requests and responses born with the app prototypes', () => {
  it('hands Express requests and responses whose prototypes are already the app ones, and Express works on them as usual', async () => {
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(express.json());
    app.post('/echo/:id', (req, res) => {
      res.status(201).json({ id: req.params['id'], q: req.query['q'], body: req.body as unknown, ip: req.ip, json: req.is('application/json') });
    });
    const server = listenExpress(app, 0);
    const bornWith: boolean[] = [];
    // Runs before the app (Express's own init middleware) sees the request.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      bornWith.push(Object.getPrototypeOf(req) === app.request && Object.getPrototypeOf(res) === app.response);
    });
    try {
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      for (const n of [1, 2, 3]) {
        const res = await httpRequest(port, `/echo/${n}?q=tea`, { method: 'POST', agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
        expect(res.status).toBe(201);
        expect(JSON.parse(res.body)).toEqual({ id: String(n), q: 'tea', body: { n }, ip: expect.stringMatching(/127\.0\.0\.1$/), json: 'application/json' });
      }
      agent.destroy();
      expect(bornWith).toEqual([true, true, true]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('an app.listen server (plain node:http) would not: Express changes each prototype itself', async () => {
    const app = express();
    app.get('/', (_req, res) => res.send('ok'));
    const server = app.listen(0);
    const bornWith: boolean[] = [];
    server.prependListener('request', (req: IncomingMessage) => bornWith.push(Object.getPrototypeOf(req) === app.request));
    try {
      await once(server, 'listening');
      expect((await httpRequest((server.address() as AddressInfo).port, '/')).body).toBe('ok');
      expect(bornWith).toEqual([false]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses an app whose request prototype does not come from IncomingMessage', () => {
    const app = express();
    Object.setPrototypeOf(app.request, {});
    expect(() => createExpressServer(app)).toThrow(TypeError);
  });
});
