import type { RandomSource } from '@coinstile/core';
import { sql } from 'kysely';
import type { Database } from '../db/database';

const SECRET_BYTES = 32;

/**
 * The installation-wide secret called `name`: created with 32 random bytes by the first process that asks,
 * read by every other one. Concurrent first calls agree (insert-if-absent, then read back).
 */
export async function instanceSecret(db: Database, name: string, random: RandomSource): Promise<Buffer> {
  const candidate = Buffer.from(random.bytes(SECRET_BYTES)).toString('hex');
  await sql`INSERT INTO instance_secrets (name, secret_hex) VALUES (${name}, ${candidate}) ON CONFLICT (name) DO NOTHING`.execute(
    db.kysely,
  );
  const row = await sql<{ secret_hex: string }>`SELECT secret_hex FROM instance_secrets WHERE name = ${name}`.execute(db.kysely);
  const hex = row.rows[0]?.secret_hex;
  if (hex === undefined) throw new Error(`instance secret ${name} vanished right after it was written`);
  return Buffer.from(hex, 'hex');
}
