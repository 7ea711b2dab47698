import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import { securityHeaders } from '../src/http/security-headers';

/** The headers a small app answers with when `middleware` runs first (`date` and the like left out). */
async function headersWith(middleware: RequestHandler, setBefore?: [string, string]): Promise<Record<string, string>> {
  const app = express();
  if (setBefore) app.use((_req, res, next) => (res.setHeader(setBefore[0], setBefore[1]), next()));
  app.use(middleware);
  app.get('/', (_req, res) => res.json({ ok: true }));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await res.text();
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (!['date', 'connection', 'keep-alive', 'content-length', 'etag'].includes(name)) headers[name] = value;
    });
    return headers;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('securityHeaders (helmet worked out once)', () => {
  it('answers with exactly the headers helmet() sets, defaults and custom options alike', async () => {
    const byHelmet = await headersWith(helmet());
    expect(byHelmet['content-security-policy']).toContain("default-src 'self'");
    expect(await headersWith(securityHeaders())).toEqual(byHelmet);

    const options = { contentSecurityPolicy: { directives: { 'script-src': ["'self'", 'https://example.test'] } }, frameguard: { action: 'deny' as const } };
    const customByHelmet = await headersWith(helmet(options));
    expect(customByHelmet['x-frame-options']).toBe('DENY');
    expect(await headersWith(securityHeaders(options))).toEqual(customByHelmet);
  });

  it('removes X-Powered-By as helmet does', async () => {
    const byHelmet = await headersWith(helmet(), ['X-Powered-By', 'something']);
    expect(byHelmet['x-powered-by']).toBeUndefined();
    expect(await headersWith(securityHeaders(), ['X-Powered-By', 'something'])).toEqual(byHelmet);
  });

  it('refuses a CSP directive that depends on the request (a function), which cannot be worked out once', () => {
    expect(() => securityHeaders({ contentSecurityPolicy: { directives: { 'script-src': ["'self'", () => "'nonce-abc'"] } } })).toThrow(TypeError);
  });
});
