import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@coinstile/platform';
import { DemoUsageError, resolveDemoSettings } from '../src/commands/demo';
import { CoinstileUnreachableError } from '../src/demo/coinstile-api-client';
import { runDemo } from '../src/demo/run-demo';

describe('coinstile demo settings', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coinstile-demo-settings-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const configWith = (env: Record<string, string>) => loadConfig({ COINSTILE_DATA_DIR: dataDir, ...env }, { cwd: dataDir });

  it('takes PUBLIC_URL and COINSTILE_OPERATOR_TOKEN, with 20 checkouts every 3 s and a block every 5 s by default', () => {
    const config = configWith({ PUBLIC_URL: 'https://pay.example.com/', COINSTILE_OPERATOR_TOKEN: 'operator-token-0123456789' });
    expect(resolveDemoSettings({}, config)).toEqual({
      baseUrl: 'https://pay.example.com',
      operatorToken: 'operator-token-0123456789',
      count: 20,
      intervalMs: 3_000,
      blockIntervalMs: 5_000,
    });
  });

  it('prefers the command line', () => {
    const config = configWith({ COINSTILE_OPERATOR_TOKEN: 'operator-token-0123456789' });
    expect(
      resolveDemoSettings({ url: 'http://127.0.0.1:9000/', token: 'other-token', count: '2', interval: '0.5', blockInterval: '1' }, config),
    ).toEqual({ baseUrl: 'http://127.0.0.1:9000', operatorToken: 'other-token', count: 2, intervalMs: 500, blockIntervalMs: 1_000 });
  });

  it.each([
    [{ count: '0' }, '--count must be an integer from 1 to 10000, got "0"'],
    [{ count: '2.5' }, '--count must be an integer'],
    [{ count: 'many' }, '--count must be an integer'],
    [{ interval: '-1' }, '--interval must be a number from 0 to 3600'],
    [{ blockInterval: '0' }, '--block-interval must be a number from 0.2 to 3600'],
    [{ url: 'ftp://x' }, '--url must be an http:// or https:// URL'],
  ])('refuses %j', (opts, message) => {
    const config = configWith({ COINSTILE_OPERATOR_TOKEN: 'operator-token-0123456789' });
    expect(() => resolveDemoSettings(opts, config)).toThrow(DemoUsageError);
    expect(() => resolveDemoSettings(opts, config)).toThrow(message);
  });

  it('asks for the operator token when neither --token nor COINSTILE_OPERATOR_TOKEN gives it', () => {
    expect(() => resolveDemoSettings({}, configWith({}))).toThrow(/pass --token or set COINSTILE_OPERATOR_TOKEN/);
  });

  it('says to start Coinstile when nothing answers at its URL', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const lines: string[] = [];
    const attempt = runDemo({
      baseUrl: `http://127.0.0.1:${port}`,
      operatorToken: 'operator-token-0123456789',
      config: configWith({}),
      count: 1,
      intervalMs: 0,
      blockIntervalMs: 1_000,
      out: (line) => lines.push(line),
    });
    await expect(attempt).rejects.toBeInstanceOf(CoinstileUnreachableError);
    await expect(attempt).rejects.toThrow(`Coinstile is not answering at http://127.0.0.1:${port} (connect ECONNREFUSED`);
    await expect(attempt).rejects.toThrow('Start it with "coinstile start"');
    expect(lines).toEqual([]);
  });
});
