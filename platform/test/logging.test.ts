import { createLogger, redactUrl } from '../src';

describe('redactUrl', () => {
  it.each([
    ['http://user:pass@host:8332', 'http://user:***@host:8332'],
    ['redis://:pw@127.0.0.1:6379/0', 'redis://:***@127.0.0.1:6379/0'],
    ['postgresql://app:p%40ss@db/x?sslmode=require', 'postgresql://app:***@db/x?sslmode=require'],
    ['http://host:8332/path', 'http://host:8332/path'],
    ['https://user@host/', 'https://user@host/'],
    ['connect failed: http://a:b@x:1 and redis://:c@y:2', 'connect failed: http://a:***@x:1 and redis://:***@y:2'],
  ])('%s → %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});

describe('createLogger', () => {
  const capture = () => {
    const lines: string[] = [];
    const logger = createLogger({ logLevel: 'debug' }, { destination: { write: (l: string) => void lines.push(l) } });
    return { logger, text: () => lines.join('') };
  };

  it('masks auth headers, cookies, tokens, secrets, passwords and URL credentials', () => {
    const { logger, text } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer sk_live_abc', cookie: 'session=s3ss', 'x-api-key': 'key123' } },
        res: { headers: { 'set-cookie': 'session=s3ss2' } },
        store: { webhook: { secret: 'whsec_1' }, apiKey: 'ak_1' },
        password: 'pw1',
        operatorToken: 'optok',
        rpc: 'http://rpcuser:rpcpass@node:8332',
        err: new Error('ECONNREFUSED redis://:redispass@cache:6379'),
      },
      'calling postgres://app:dbpass@db/x',
    );
    const out = text();
    for (const secret of ['sk_live_abc', 's3ss', 'key123', 'whsec_1', 'ak_1', 'pw1', 'optok', 'rpcpass', 'redispass', 'dbpass']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('http://rpcuser:***@node:8332');
    expect(JSON.parse(out)).toMatchObject({ level: 'info', req: { headers: { authorization: '***' } } });
  });

  it('honours the configured level', () => {
    const lines: string[] = [];
    const logger = createLogger({ logLevel: 'warn' }, { destination: { write: (l: string) => void lines.push(l) } });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines).toHaveLength(1);
  });
});
