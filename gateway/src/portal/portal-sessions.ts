import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock, RandomSource, StoreId } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import type { StoreRole } from './store-roles';

/** A signed-in store user's browser session, as every portal request sees it. */
export interface PortalSession {
  readonly userId: string;
  readonly storeId: StoreId;
  readonly storeName: string;
  readonly email: string;
  readonly role: StoreRole;
  /** Sent back in every form; a POST without it is refused (synchronizer token). */
  readonly csrfToken: string;
}

/** Absolute session lifetime: signing in again starts a new one. */
export const PORTAL_SESSION_TTL_SECONDS = 12 * 3600;

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

function hashOf(sessionId: string): string {
  return createHash('sha256').update(sessionId, 'utf8').digest('hex');
}

/**
 * Portal sessions in Postgres: the cookie holds 256 random bits, the table only their SHA-256 (a
 * database reader cannot replay a cookie), the user, a CSRF token and the expiry. A session is valid
 * while unexpired and its user active; disabling a user deletes their sessions.
 */
export class PortalSessionStore {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly ttlSeconds = PORTAL_SESSION_TTL_SECONDS,
  ) {}

  /**
   * A new session for `userId`, always with a fresh id (never one the browser presented: no session
   * fixation); `replacing` (the id the browser had, if any) is ended. The user's expired sessions go too.
   */
  async create(userId: string, replacing: string | undefined): Promise<{ sessionId: string }> {
    const sessionId = Buffer.from(this.random.bytes(32)).toString('base64url');
    const now = this.clock.now();
    await this.db.transaction(async (trx) => {
      if (replacing !== undefined && SESSION_ID.test(replacing)) await trx.deleteFrom('store_user_sessions').where('id_hash', '=', hashOf(replacing)).execute();
      await trx.deleteFrom('store_user_sessions').where('user_id', '=', userId).where('expires_at', '<=', now).execute();
      await trx
        .insertInto('store_user_sessions')
        .values({
          id_hash: hashOf(sessionId),
          user_id: userId,
          csrf_token: Buffer.from(this.random.bytes(32)).toString('base64url'),
          created_at: now,
          expires_at: new Date(now.getTime() + this.ttlSeconds * 1000),
        })
        .execute();
    });
    return { sessionId };
  }

  /** The live session of `sessionId`, or null (unknown, expired, or its user no longer active). */
  async find(sessionId: string): Promise<PortalSession | null> {
    if (!SESSION_ID.test(sessionId)) return null;
    const row = await this.db.kysely
      .selectFrom('store_user_sessions')
      .innerJoin('store_users', 'store_users.id', 'store_user_sessions.user_id')
      .innerJoin('stores', 'stores.id', 'store_users.store_id')
      .select(['store_users.id', 'store_users.store_id', 'store_users.email', 'store_users.role', 'store_user_sessions.csrf_token', 'stores.name'])
      .where('store_user_sessions.id_hash', '=', hashOf(sessionId))
      .where('store_user_sessions.expires_at', '>', this.clock.now())
      .where('store_users.status', '=', 'active')
      .executeTakeFirst();
    if (!row) return null;
    return { userId: row.id, storeId: row.store_id as StoreId, storeName: row.name, email: row.email, role: row.role, csrfToken: row.csrf_token };
  }

  async destroy(sessionId: string): Promise<void> {
    if (!SESSION_ID.test(sessionId)) return;
    await this.db.kysely.deleteFrom('store_user_sessions').where('id_hash', '=', hashOf(sessionId)).execute();
  }
}

/** Constant-time comparison of a form's CSRF token with the session's. */
export function portalCsrfMatches(session: PortalSession, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(session.csrfToken, 'utf8');
  const actual = Buffer.from(presented, 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
