import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Secrets one Coinstile installation shares across all its processes (e.g. the key quote tokens are signed
 * with), generated on first use. Kept in the store of record because that is the one thing every process
 * of an installation already shares; whoever can read the database can already do far worse.
 */
const up = sql`
CREATE TABLE instance_secrets (
  name       text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_.-]{0,63}$'),
  secret_hex text NOT NULL CHECK (secret_hex ~ '^[0-9a-f]{64,}$'),
  created_at timestamptz NOT NULL DEFAULT now()
);
`;

const down = sql`DROP TABLE instance_secrets;`;

export const instanceSecrets: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
  },
};
