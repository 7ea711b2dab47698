import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ForbiddenWebhookTargetError, isForbiddenAddress, resolveAllowedAddresses, sendWebhook, systemResolver, type SsrfPolicy } from '../../src/webhooks';

describe('SSRF guard', () => {
  test.each([
    '127.0.0.1', '127.1.2.3', '10.0.0.5', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
    '100.127.255.254', '0.0.0.0', '224.0.0.1', '239.255.255.250', '255.255.255.255', '::1', '::', 'fc00::1', 'fd12:3456::1',
    'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:8.8.8.8', '64:ff9b::a00:1', '198.18.0.1', 'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  test.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e'])('allows the public address %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });

  const strict: SsrfPolicy = { allowPrivate: false, resolver: systemResolver };

  test('IP literals and DNS names resolving to private addresses are refused without WEBHOOK_ALLOW_PRIVATE', async () => {
    await expect(resolveAllowedAddresses('127.0.0.1', strict)).rejects.toThrow(ForbiddenWebhookTargetError);
    await expect(resolveAllowedAddresses('[::1]', strict)).rejects.toThrow(ForbiddenWebhookTargetError);
    // `localhost` is a DNS name (resolved through /etc/hosts) that points at loopback.
    await expect(resolveAllowedAddresses('localhost', strict)).rejects.toThrow(/private, loopback or reserved/);
    // A name with one public and one private address is refused: the connection could take either.
    const mixed: SsrfPolicy = {
      allowPrivate: false,
      resolver: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '10.1.2.3', family: 4 },
      ],
    };
    await expect(resolveAllowedAddresses('shop.example', mixed)).rejects.toThrow(ForbiddenWebhookTargetError);
    const publicOnly: SsrfPolicy = { allowPrivate: false, resolver: async () => [{ address: '93.184.216.34', family: 4 }] };
    await expect(resolveAllowedAddresses('shop.example', publicOnly)).resolves.toEqual([{ address: '93.184.216.34', family: 4 }]);
    await expect(resolveAllowedAddresses('localhost', { ...strict, allowPrivate: true })).resolves.not.toHaveLength(0);
  });

  describe('sending', () => {
    let server: Server;
    let hits: string[];
    let url: string;

    beforeAll(async () => {
      hits = [];
      server = createServer((req, res) => {
        hits.push(req.url ?? '');
        if (req.url === '/redirect') res.writeHead(302, { Location: '/target' }).end();
        else res.writeHead(200).end('ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    const request = (path: string) => ({ url: `${url}${path}`, body: '{}', headers: { 'Content-Type': 'application/json' }, timeoutMs: 2_000 });

    test('a loopback target is refused before any connection without the flag, and reached with it', async () => {
      hits.length = 0;
      const refused = await sendWebhook(request('/hook'), strict);
      expect(refused).toMatchObject({ outcome: 'failed', httpStatus: null });
      expect(refused.error).toMatch(/private, loopback or reserved/);
      expect(hits).toEqual([]);
      // Resolved per attempt: a name that now points at loopback (DNS rebinding) is refused at connect time.
      const rebinding: SsrfPolicy = { allowPrivate: false, resolver: async () => [{ address: '127.0.0.1', family: 4 }] };
      const port = new URL(url).port;
      expect((await sendWebhook({ ...request('/hook'), url: `http://shop.example:${port}/hook` }, rebinding)).outcome).toBe('failed');
      expect(hits).toEqual([]);
      expect(await sendWebhook(request('/hook'), { ...strict, allowPrivate: true })).toMatchObject({ outcome: 'succeeded', httpStatus: 200, responseBody: 'ok' });
      expect(hits).toEqual(['/hook']);
    });

    test('redirects are not followed', async () => {
      hits.length = 0;
      const result = await sendWebhook(request('/redirect'), { ...strict, allowPrivate: true });
      expect(result).toMatchObject({ outcome: 'failed', httpStatus: 302 });
      expect(hits).toEqual(['/redirect']);
    });
  });
});
