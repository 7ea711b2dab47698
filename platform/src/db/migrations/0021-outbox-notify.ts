import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Issue #5 (detection latency): every statement that inserts outbox rows notifies `coinstile_outbox` at
 * its commit, so relays listening in any process publish fresh events at once instead of at their next
 * poll. Statement-level, with an empty payload: PostgreSQL folds identical notifications of one
 * transaction into one, so a transaction writing thousands of events sends a single notification.
 */
const up = sql`
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('coinstile_outbox', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
`;

const down = sql`
DROP TRIGGER outbox_notify ON outbox;
DROP FUNCTION outbox_notify();
`;

export const outboxNotify: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
  },
};
