import { Client } from 'pg';
import { startPostgres, type PostgresServer } from '@coinstile/testkit';

async function withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('startPostgres', () => {
  let postgres: PostgresServer;

  beforeAll(async () => {
    const startedAt = Date.now();
    postgres = await startPostgres();
    console.log(`postgres started in ${Date.now() - startedAt} ms`);
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  test('creates a table, inserts and selects rows', async () => {
    const url = await postgres.createDatabase();
    const rows = await withClient(url, async (client) => {
      await client.query('CREATE TABLE item (id int PRIMARY KEY, amount_base numeric(78,0) NOT NULL)');
      await client.query('INSERT INTO item VALUES (1, 1000000000000000000000), (2, 5)');
      return (await client.query<{ id: number; amount_base: string }>('SELECT * FROM item ORDER BY id')).rows;
    });
    expect(rows).toEqual([
      { id: 1, amount_base: '1000000000000000000000' },
      { id: 2, amount_base: '5' },
    ]);
  });

  test('databases from createDatabase are isolated from each other', async () => {
    const first = await postgres.createDatabase();
    const second = await postgres.createDatabase();
    expect(first).not.toEqual(second);
    await withClient(first, (client) => client.query('CREATE TABLE only_in_first (x int)'));
    const inSecond = await withClient(second, (client) =>
      client.query("SELECT to_regclass('only_in_first') AS found"),
    );
    expect(inSecond.rows[0]).toEqual({ found: null });
  });

  test('createDatabase can be called concurrently', async () => {
    const urls = await Promise.all(Array.from({ length: 6 }, () => postgres.createDatabase()));
    expect(new Set(urls).size).toBe(6);
    const names = await withClient(postgres.url, (client) =>
      client.query<{ datname: string }>('SELECT datname FROM pg_database'),
    );
    const existing = new Set(names.rows.map((row) => row.datname));
    for (const url of urls) expect(existing.has(new URL(url).pathname.slice(1))).toBe(true);
  });

  test('createDatabase accepts a name and rejects unsafe ones', async () => {
    const url = await postgres.createDatabase('named_db');
    expect(url).toBe(`postgres://postgres@127.0.0.1:${postgres.port}/named_db`);
    await expect(postgres.createDatabase('bad"; DROP')).rejects.toThrow(/not a plain/);
  });

  test('kill9 then restart keeps committed data, on the same port', async () => {
    const url = await postgres.createDatabase();
    await withClient(url, async (client) => {
      await client.query('CREATE TABLE ledger (id serial PRIMARY KEY, note text)');
      for (let i = 0; i < 50; i++) await client.query('INSERT INTO ledger (note) VALUES ($1)', [`row ${i}`]);
    });
    // A client connected at the moment of the kill sees its connection die.
    const connected = new Client({ connectionString: url });
    connected.on('error', () => undefined);
    await connected.connect();

    await postgres.kill9();
    await expect(connected.query('SELECT 1')).rejects.toThrow();
    await expect(withClient(url, (client) => client.query('SELECT 1'))).rejects.toThrow();

    await postgres.restart();
    const count = await withClient(url, (client) => client.query<{ n: string }>('SELECT count(*) AS n FROM ledger'));
    expect(count.rows[0]?.n).toBe('50');
    await connected.end().catch(() => undefined);
  });

  test('restart of a running server keeps data', async () => {
    const url = await postgres.createDatabase();
    await withClient(url, (client) => client.query('CREATE TABLE t AS SELECT 42 AS answer'));
    await postgres.restart();
    const result = await withClient(url, (client) => client.query<{ answer: number }>('SELECT answer FROM t'));
    expect(result.rows[0]?.answer).toBe(42);
  });
});
