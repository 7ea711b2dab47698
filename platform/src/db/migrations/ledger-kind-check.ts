import { sql } from 'kysely';

/**
 * Re-creates the kind check on ledger_postings as the kinds it allows now plus `added` (or minus
 * `removed`), for each migration that adds posting kinds (every feature adds its own, so no migration may
 * write the whole list). It reads both spellings Postgres prints such a check in (`ARRAY['a'::text, …]` and
 * `'{a,b}'::text[]`), and writes it as `kind IN ('a', …)`, which Postgres prints as the first, so a later
 * migration reading the check the same way finds every kind.
 */
export function rebuildLedgerKindCheck(added: readonly string[], removed: readonly string[]) {
  const quoted = (list: readonly string[]) => sql.raw(`ARRAY[${list.map((k) => `'${k}'`).join(', ')}]::text[]`);
  return sql`
DO $do$
DECLARE
  con   record;
  kinds text[] := '{}';
BEGIN
  FOR con IN
    SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
     WHERE conrelid = 'ledger_postings'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%kind%'
  LOOP
    kinds := kinds || ARRAY(SELECT (regexp_matches(con.def, '''([a-z_]+)''', 'g'))[1]);
    kinds := kinds || ARRAY(SELECT unnest(string_to_array((regexp_matches(con.def, '''[{]([a-z_,]+)[}]''', 'g'))[1], ',')));
    EXECUTE format('ALTER TABLE ledger_postings DROP CONSTRAINT %I', con.conname);
  END LOOP;
  kinds := ARRAY(SELECT DISTINCT k FROM unnest(kinds || ${quoted(added)}) AS k WHERE k <> ALL (${quoted(removed)}) ORDER BY k);
  EXECUTE 'ALTER TABLE ledger_postings ADD CONSTRAINT ledger_postings_kind_check CHECK (kind IN ('
    || (SELECT string_agg(quote_literal(k), ', ') FROM unnest(kinds) AS k) || '))';
END
$do$;`;
}
