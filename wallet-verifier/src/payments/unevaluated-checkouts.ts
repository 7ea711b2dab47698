import type { CheckoutId } from '@coinstile/core';
import { sql, type Kysely } from 'kysely';
import type { VerifierDB } from './verifier-schema';

/**
 * Checkouts of `chain` whose payments changed without an evaluation after (the process died in between):
 * open or expired checkouts with payments on this chain, and settled ones with a counted payment lost and
 * not yet reported reversed. Every follower re-evaluates them when it starts.
 */
export async function checkoutsLeftUnevaluated(kysely: Kysely<VerifierDB>, chain: string): Promise<CheckoutId[]> {
  const rows = await kysely
    .selectFrom('checkouts as c')
    .innerJoin('payments as p', 'p.checkout_id', 'c.id')
    .select('c.id')
    .distinct()
    .where('p.chain', '=', chain)
    .where((eb) =>
      eb.or([
        eb('c.status', 'in', ['new', 'processing']),
        eb.and([eb('c.status', '=', 'expired'), eb('c.exception', '<>', 'paid_late')]),
        eb.and([
          eb('c.status', '=', 'settled'),
          eb('p.state', 'in', ['orphaned', 'replaced']),
          sql<boolean>`p.id = ANY(c.counted_payment_ids) AND NOT p.id = ANY(c.reversed_payment_ids)`,
        ]),
      ]),
    )
    .execute();
  return rows.map((r) => r.id as CheckoutId);
}
