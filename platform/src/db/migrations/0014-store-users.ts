import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The store operator portal's users and their sessions.
 *
 * - `store_users`: a store's people, `owner` (everything of the store) or `staff` (orders and shipments).
 *   Invited first (`invited`, with the SHA-256 of a one-time invitation token and its expiry), `active`
 *   once they set a password on the invitation page, `disabled` by an owner or the operator. Emails are
 *   unique across stores (they sign in by email) and stored lower-case. `password_hash` is a
 *   self-describing scrypt string (`scrypt$N$r$p$salt$hash`), so its cost can be raised later.
 * - `store_user_sessions`: signed-in browsers. Only the SHA-256 of the session id is stored (the id is in
 *   the cookie and nowhere else), with the session's CSRF token and an absolute expiry.
 */
const up = sql`
CREATE TABLE store_users (
  id                    text PRIMARY KEY CHECK (id LIKE 'su\\_%'),
  store_id              text NOT NULL REFERENCES stores(id),
  email                 text NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254 AND email = lower(email)),
  role                  text NOT NULL CHECK (role IN ('owner', 'staff')),
  status                text NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
  password_hash         text,
  invitation_hash       text UNIQUE CHECK (invitation_hash ~ '^[0-9a-f]{64}$'),
  invitation_expires_at timestamptz,
  invited_by            text NOT NULL,
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL,
  last_sign_in_at       timestamptz,
  CHECK (status <> 'active' OR password_hash IS NOT NULL),
  CHECK ((invitation_hash IS NULL) = (invitation_expires_at IS NULL))
);
CREATE INDEX store_users_store_idx ON store_users (store_id, created_at);

CREATE TABLE store_user_sessions (
  id_hash    text PRIMARY KEY CHECK (id_hash ~ '^[0-9a-f]{64}$'),
  user_id    text NOT NULL REFERENCES store_users(id),
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL CHECK (expires_at > created_at)
);
CREATE INDEX store_user_sessions_user_idx ON store_user_sessions (user_id);
CREATE INDEX store_user_sessions_expiry_idx ON store_user_sessions (expires_at);
`;

const down = sql`DROP TABLE store_user_sessions, store_users;`;

export const storeUsers: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
  },
};
