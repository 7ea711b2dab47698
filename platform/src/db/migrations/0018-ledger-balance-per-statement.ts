import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The ledger's balance check, once per statement instead of once per row.
 *
 * 0001 checked balance with deferred constraint triggers FOR EACH ROW on both ledger tables: a payout
 * posting of two entries ran the check three times at commit, two queries each, so booking 100,000
 * payouts ran 600,000 queries. PostgreSQL's constraint triggers can only be row-level, so the check is now
 * queued per statement and run per queued statement:
 *
 * - statement-level AFTER INSERT triggers on `ledger_postings` and `ledger_entries` (transition tables)
 *   queue one `ledger_balance_checks` row per statement, holding the ids of the postings it touched;
 * - a deferred constraint trigger on `ledger_balance_checks` checks those postings at commit with one
 *   set-based query (at least two entries, zero sum in every currency) and removes its queue row.
 *
 * The guarantee is unchanged: every statement that inserts into either ledger table queues a check that
 * runs at commit however the SQL was written. Deleting or updating the queue row before commit does not
 * skip it: PostgreSQL fires a deferred row trigger with the row as inserted, and refuses TRUNCATE of a
 * table with pending trigger events. The queue is UNLOGGED: no row of it outlives its transaction.
 */
const up = sql`
DROP TRIGGER ledger_postings_balanced ON ledger_postings;
DROP TRIGGER ledger_entries_balanced ON ledger_entries;
DROP FUNCTION ledger_postings_balanced(), ledger_entries_balanced(), ledger_assert_balanced(text);

CREATE UNLOGGED TABLE ledger_balance_checks (
  id          bigserial PRIMARY KEY,
  posting_ids text[] NOT NULL
);

CREATE FUNCTION ledger_assert_postings_balanced(p_posting_ids text[]) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  bad_posting text;
  entry_count bigint;
  unbalanced  text;
BEGIN
  WITH per_currency AS (
    SELECT e.posting_id, e.currency, count(*) AS n, sum(e.amount) AS total
    FROM ledger_entries AS e
    WHERE e.posting_id = ANY(p_posting_ids)
    GROUP BY e.posting_id, e.currency
  )
  SELECT w.id, coalesce(sum(pc.n), 0), min(pc.currency) FILTER (WHERE pc.total <> 0)
  INTO bad_posting, entry_count, unbalanced
  FROM (SELECT DISTINCT unnest(p_posting_ids) AS id) AS w
  LEFT JOIN per_currency AS pc ON pc.posting_id = w.id
  GROUP BY w.id
  HAVING coalesce(sum(pc.n), 0) < 2 OR bool_or(pc.total <> 0)
  LIMIT 1;
  IF bad_posting IS NULL THEN
    RETURN;
  END IF;
  IF entry_count < 2 THEN
    RAISE EXCEPTION 'ledger posting % has % entries, needs at least 2', bad_posting, entry_count
      USING ERRCODE = 'check_violation';
  END IF;
  RAISE EXCEPTION 'ledger posting % does not balance in %', bad_posting, unbalanced
    USING ERRCODE = 'check_violation';
END
$fn$;

CREATE FUNCTION ledger_balance_checks_run() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM ledger_assert_postings_balanced(NEW.posting_ids);
  DELETE FROM ledger_balance_checks WHERE id = NEW.id;
  RETURN NULL;
END
$fn$;

CREATE CONSTRAINT TRIGGER ledger_balance_checks_run AFTER INSERT ON ledger_balance_checks
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_balance_checks_run();

CREATE FUNCTION ledger_postings_queue_check() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO ledger_balance_checks (posting_ids)
    SELECT array_agg(id) FROM inserted_postings HAVING count(*) > 0;
  RETURN NULL;
END
$fn$;

CREATE FUNCTION ledger_entries_queue_check() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO ledger_balance_checks (posting_ids)
    SELECT array_agg(DISTINCT posting_id) FROM inserted_entries HAVING count(*) > 0;
  RETURN NULL;
END
$fn$;

CREATE TRIGGER ledger_postings_queue_check AFTER INSERT ON ledger_postings
  REFERENCING NEW TABLE AS inserted_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger_postings_queue_check();
CREATE TRIGGER ledger_entries_queue_check AFTER INSERT ON ledger_entries
  REFERENCING NEW TABLE AS inserted_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_queue_check();
`;

const down = sql`
DROP TRIGGER ledger_entries_queue_check ON ledger_entries;
DROP TRIGGER ledger_postings_queue_check ON ledger_postings;
DROP FUNCTION ledger_entries_queue_check(), ledger_postings_queue_check();
DROP TABLE ledger_balance_checks;
DROP FUNCTION ledger_balance_checks_run(), ledger_assert_postings_balanced(text[]);

CREATE FUNCTION ledger_assert_balanced(p_posting_id text) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  entry_count integer;
  unbalanced  text;
BEGIN
  SELECT count(*) INTO entry_count FROM ledger_entries WHERE posting_id = p_posting_id;
  IF entry_count < 2 THEN
    RAISE EXCEPTION 'ledger posting % has % entries, needs at least 2', p_posting_id, entry_count
      USING ERRCODE = 'check_violation';
  END IF;
  SELECT currency INTO unbalanced FROM ledger_entries WHERE posting_id = p_posting_id
    GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
  IF unbalanced IS NOT NULL THEN
    RAISE EXCEPTION 'ledger posting % does not balance in %', p_posting_id, unbalanced
      USING ERRCODE = 'check_violation';
  END IF;
END
$fn$;

CREATE FUNCTION ledger_postings_balanced() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM ledger_assert_balanced(NEW.id);
  RETURN NULL;
END
$fn$;

CREATE FUNCTION ledger_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM ledger_assert_balanced(NEW.posting_id);
  RETURN NULL;
END
$fn$;

CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_postings_balanced();
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entries_balanced();
`;

export const ledgerBalancePerStatement: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
  },
};
