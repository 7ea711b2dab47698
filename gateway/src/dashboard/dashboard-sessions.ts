import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock, RandomSource } from '@coinstile/core';
import type { Redis } from 'ioredis';

/** A signed-in operator's browser session. */
export interface DashboardSession {
  /** The `operator_tokens` row the operator signed in with (a revoked token ends its sessions). */
  readonly tokenId: string;
  /** Sent back in every form; a POST without it is refused (CSRF). */
  readonly csrfToken: string;
  readonly createdAtMs: number;
}

/** How long a session lives after sign-in; signing in again starts a new one. */
export const DASHBOARD_SESSION_TTL_SECONDS = 12 * 3600;

const KEY_PREFIX = 'coinstile:dashboard:session:';

function keyOf(sessionId: string): string {
  // Only the hash is stored: whoever reads Redis cannot replay a session cookie from it.
  return KEY_PREFIX + createHash('sha256').update(sessionId, 'utf8').digest('hex');
}

/**
 * Opaque session ids (256 random bits) in a cookie; Redis holds each one's hash with the operator token
 * id and the CSRF token, expiring on its own. Every gateway replica sees the same sessions.
 */
export class DashboardSessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly ttlSeconds = DASHBOARD_SESSION_TTL_SECONDS,
  ) {}

  /** A new session; the returned id goes into the cookie and nowhere else. */
  async create(tokenId: string): Promise<{ sessionId: string; session: DashboardSession }> {
    const sessionId = Buffer.from(this.random.bytes(32)).toString('base64url');
    const session: DashboardSession = {
      tokenId,
      csrfToken: Buffer.from(this.random.bytes(32)).toString('base64url'),
      createdAtMs: this.clock.now().getTime(),
    };
    await this.redis.set(keyOf(sessionId), JSON.stringify(session), 'EX', this.ttlSeconds);
    return { sessionId, session };
  }

  async find(sessionId: string): Promise<DashboardSession | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return null;
    const raw = await this.redis.get(keyOf(sessionId));
    if (raw === null) return null;
    const parsed = JSON.parse(raw) as Partial<DashboardSession>;
    if (typeof parsed.tokenId !== 'string' || typeof parsed.csrfToken !== 'string' || typeof parsed.createdAtMs !== 'number') return null;
    return { tokenId: parsed.tokenId, csrfToken: parsed.csrfToken, createdAtMs: parsed.createdAtMs };
  }

  async destroy(sessionId: string): Promise<void> {
    await this.redis.del(keyOf(sessionId));
  }
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfTokenMatches(session: DashboardSession, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(session.csrfToken, 'utf8');
  const actual = Buffer.from(presented, 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
