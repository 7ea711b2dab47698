import { createHash } from 'node:crypto';
import { type Clock, nextId, type RandomSource } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import { sql } from 'kysely';

/** Operator tokens carry 256 random bits; the prefix makes a leaked one recognisable to secret scanners. */
const TOKEN_PREFIX = 'cso_';
const TOKEN_BYTES = 32;

/**
 * Tokens are stored as SHA-256. A slow password hash would add nothing: with 256 random bits a token
 * cannot be guessed from its hash, and every API request verifies one.
 */
export function hashOperatorToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export type OperatorTokenBootstrap =
  | { readonly source: 'config' }
  | { readonly source: 'stored' }
  /** First start without `COINSTILE_OPERATOR_TOKEN`: the token exists only in this value; print it once. */
  | { readonly source: 'generated'; readonly token: string };

export interface EnsureOperatorTokenOptions {
  readonly configuredToken: string | undefined;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/**
 * Makes sure the mall operator can authenticate: a token from config is recorded (hashed); without one,
 * the first start generates a token and later starts find it stored. An advisory lock keeps two gateways
 * starting together from each generating one.
 */
export async function ensureOperatorToken(db: Database, opts: EnsureOperatorTokenOptions): Promise<OperatorTokenBootstrap> {
  return db.transaction(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('coinstile.operator_token'))`.execute(trx);
    if (opts.configuredToken !== undefined) {
      await trx
        .insertInto('operator_tokens')
        .values({
          id: nextId('opt', opts.clock, opts.random),
          token_hash: hashOperatorToken(opts.configuredToken),
          label: 'COINSTILE_OPERATOR_TOKEN',
        })
        .onConflict((oc) => oc.column('token_hash').doNothing())
        .execute();
      return { source: 'config' };
    }
    const existing = await trx.selectFrom('operator_tokens').select('id').where('revoked_at', 'is', null).limit(1).executeTakeFirst();
    if (existing) return { source: 'stored' };
    const token = TOKEN_PREFIX + Buffer.from(opts.random.bytes(TOKEN_BYTES)).toString('base64url');
    await trx
      .insertInto('operator_tokens')
      .values({ id: nextId('opt', opts.clock, opts.random), token_hash: hashOperatorToken(token), label: 'generated on first start' })
      .execute();
    return { source: 'generated', token };
  });
}
