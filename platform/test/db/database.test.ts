import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase, PGliteError } from '../../src/db';
import { migrations } from '../../src/db/migrations';

describe('openDatabase', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coinstile-db-open-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('embedded PGlite keeps its data in <dataDir>/pglite across restarts', async () => {
    const first = await openDatabase({ dataDir: dir });
    try {
      expect(first.engine).toBe('pglite');
      expect(await migrateToLatest(first)).toEqual(Object.keys(migrations));
      await sql`insert into chain_cursors (chain, height, block_hash) values ('litecoin', 101, 'abc')`.execute(first.kysely);
    } finally {
      await first.close();
    }
    await first.close(); // idempotent

    const second = await openDatabase({ dataDir: dir });
    try {
      expect(await migrateToLatest(second)).toEqual([]);
      const row = await second.kysely.selectFrom('chain_cursors').selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({ chain: 'litecoin', height: '101', block_hash: 'abc' });
      expect(row.updated_at).toBeInstanceOf(Date);
    } finally {
      await second.close();
    }
    await expect(second.ping()).rejects.toThrow();
  }, 60_000);

  test('PGlite errors carry the SQLSTATE like pg errors, and a pino logger receives the failures', async () => {
    const lines: Array<{ msg: string; sql?: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as { msg: string });
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const db = await openDatabase({ logger });
    try {
      const failure = await sql`select * from no_such_table`.execute(db.kysely).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(PGliteError);
      expect(failure).toMatchObject({ code: '42P01' });
      // Each transaction runs alone: a failed statement inside one leaves the next transaction usable.
      await expect(db.transaction((trx) => sql`select 1/0`.execute(trx))).rejects.toMatchObject({ code: '22012' });
      await expect(db.ping()).resolves.toBeUndefined();
    } finally {
      await db.close();
    }
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['embedded PGlite database opened', 'query failed']));
    expect(lines.find((l) => l.msg === 'query failed')?.sql).toBe('select * from no_such_table');
  }, 60_000);

  test('a URL that is not postgres:// is refused without echoing its password', async () => {
    const attempt = openDatabase({ url: 'mysql://app:s3cret@db.example/coinstile' });
    await expect(attempt).rejects.toThrow(/postgres:\/\//);
    await expect(attempt).rejects.not.toThrow(/s3cret/);
  });
});
