import { createHash } from 'node:crypto';
import { type Clock, ConflictError, nextId, NotFoundError, parseId, type RandomSource, type StoreId, ValidationError } from '@coinstile/core';
import type { Database, StoreUsersTable, StoreUserStatusValue } from '@coinstile/platform';
import type { Selectable } from 'kysely';
import { decoyHash, DEFAULT_SCRYPT_COST, hashPassword, passwordProblem, type ScryptCost, verifyPassword } from './password-hashing';
import type { StoreRole } from './store-roles';

/** A store user as listings show it (never a hash). */
export interface StoreUserView {
  readonly id: string;
  readonly storeId: string;
  readonly email: string;
  readonly role: StoreRole;
  readonly status: StoreUserStatusValue;
  readonly invitationExpiresAt: string | null;
  readonly createdAt: string;
  readonly lastSignInAt: string | null;
}

/** A new invitation: the token exists only here and in the link given to the invitee. */
export interface IssuedInvitation {
  readonly user: StoreUserView;
  readonly token: string;
  readonly expiresAt: Date;
}

/** An invitation as its page shows it. */
export interface PendingInvitation {
  readonly userId: string;
  readonly email: string;
  readonly role: StoreRole;
  readonly storeName: string;
  readonly expiresAt: Date;
}

/** The invitation link is unknown, used, or expired. 404. */
export class InvitationNotFoundError extends NotFoundError {
  constructor() {
    super('invitation', '(link)');
  }
}

/** The new password is refused. 400 `weak_password` / `password_too_long`. */
export class PasswordRefusedError extends ValidationError {
  constructor(readonly problem: 'too_short' | 'too_long') {
    super(problem === 'too_short' ? 'The password must be at least 12 characters' : 'The password is too long', { problem }, problem === 'too_short' ? 'weak_password' : 'password_too_long');
  }
}

/** Who invited: the mall operator (by token id) or a store owner (by user id). */
export type Inviter = { readonly kind: 'operator'; readonly tokenId: string } | { readonly kind: 'store_user'; readonly userId: string };

export interface StoreUserServiceOptions {
  readonly db: Database;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** How long an invitation link works; default 7 days. */
  readonly invitationTtlMs?: number;
  /** Tests lower it; production keeps the default. */
  readonly scryptCost?: ScryptCost;
}

const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,189}\.[^\s@<>".]{2,63}$/;

/** An email as stored and compared: trimmed and lower-case; anything that does not look like one is a 400. */
export function normalizeEmail(input: string): string {
  const email = input.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw new ValidationError('Give a valid email address', { field: 'email' }, 'invalid_email');
  return email;
}

function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function inviterText(inviter: Inviter): string {
  switch (inviter.kind) {
    case 'operator':
      return `operator:${inviter.tokenId}`;
    case 'store_user':
      return inviter.userId;
  }
}

type UserRow = Selectable<StoreUsersTable>;

function userView(row: UserRow): StoreUserView {
  return {
    id: row.id,
    storeId: row.store_id,
    email: row.email,
    role: row.role,
    status: row.status,
    invitationExpiresAt: row.invitation_expires_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    lastSignInAt: row.last_sign_in_at?.toISOString() ?? null,
  };
}

/**
 * The store portal's users: invited by the operator or a store owner (a one-time link, stored as its
 * SHA-256), activated when the invitee sets a password (scrypt), signed in by email and password,
 * disabled by an owner. A user belongs to one store; emails are unique across stores.
 */
export class StoreUserService {
  readonly #ttlMs: number;
  readonly #cost: ScryptCost;
  #decoy: Promise<string> | undefined;

  constructor(private readonly options: StoreUserServiceOptions) {
    this.#ttlMs = options.invitationTtlMs ?? 7 * 24 * 3600_000;
    this.#cost = options.scryptCost ?? DEFAULT_SCRYPT_COST;
  }

  /**
   * Invites `email` to `storeId` as `role`. Inviting someone whose invitation is still pending (same
   * store) issues a new link and voids the old one; an active or disabled user, or a user of another
   * store, is a 409 `store_user_exists`.
   */
  async invite(input: { storeId: StoreId; email: string; role: StoreRole; inviter: Inviter }): Promise<IssuedInvitation> {
    const email = normalizeEmail(input.email);
    const token = Buffer.from(this.options.random.bytes(32)).toString('base64url');
    const now = this.options.clock.now();
    const expiresAt = new Date(now.getTime() + this.#ttlMs);
    const row = await this.options.db.transaction(async (trx) => {
      const store = await trx.selectFrom('stores').select('id').where('id', '=', input.storeId).executeTakeFirst();
      if (!store) throw new NotFoundError('store', input.storeId);
      const existing = await trx.selectFrom('store_users').selectAll().where('email', '=', email).forUpdate().executeTakeFirst();
      if (existing !== undefined) {
        if (existing.status !== 'invited' || existing.store_id !== input.storeId) {
          throw new ConflictError('A store user with this email already exists', { email }, 'store_user_exists');
        }
        return trx
          .updateTable('store_users')
          .set({ role: input.role, invitation_hash: tokenHash(token), invitation_expires_at: expiresAt, invited_by: inviterText(input.inviter), updated_at: now })
          .where('id', '=', existing.id)
          .returningAll()
          .executeTakeFirstOrThrow();
      }
      return trx
        .insertInto('store_users')
        .values({
          id: nextId('su', this.options.clock, this.options.random),
          store_id: input.storeId,
          email,
          role: input.role,
          status: 'invited',
          invitation_hash: tokenHash(token),
          invitation_expires_at: expiresAt,
          invited_by: inviterText(input.inviter),
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    return { user: userView(row), token, expiresAt };
  }

  /** The pending invitation a link names, or null when it is unknown, used or expired. */
  async findInvitation(token: string): Promise<PendingInvitation | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const row = await this.options.db.kysely
      .selectFrom('store_users')
      .innerJoin('stores', 'stores.id', 'store_users.store_id')
      .select(['store_users.id', 'store_users.email', 'store_users.role', 'store_users.invitation_expires_at', 'stores.name'])
      .where('store_users.invitation_hash', '=', tokenHash(token))
      .where('store_users.status', '=', 'invited')
      .where('store_users.invitation_expires_at', '>', this.options.clock.now())
      .executeTakeFirst();
    if (!row || row.invitation_expires_at === null) return null;
    return { userId: row.id, email: row.email, role: row.role, storeName: row.name, expiresAt: row.invitation_expires_at };
  }

  /** Sets the invitee's password and activates them; the link stops working. */
  async acceptInvitation(token: string, password: string): Promise<StoreUserView> {
    const problem = passwordProblem(password);
    const invitation = await this.findInvitation(token);
    if (invitation === null) throw new InvitationNotFoundError();
    if (problem !== null) throw new PasswordRefusedError(problem);
    const passwordHash = await hashPassword(password, this.#cost);
    const now = this.options.clock.now();
    const row = await this.options.db.kysely
      .updateTable('store_users')
      .set({ status: 'active', password_hash: passwordHash, invitation_hash: null, invitation_expires_at: null, updated_at: now })
      .where('id', '=', invitation.userId)
      .where('invitation_hash', '=', tokenHash(token))
      .where('status', '=', 'invited')
      .returningAll()
      .executeTakeFirst();
    // Accepted twice at once: the other request won.
    if (!row) throw new InvitationNotFoundError();
    return userView(row);
  }

  /**
   * The active user `email` and `password` name, or null. An unknown email costs the same scrypt work
   * as a wrong password, so timing does not tell which emails have accounts.
   */
  async authenticate(emailInput: string, password: string): Promise<StoreUserView | null> {
    let email: string;
    try {
      email = normalizeEmail(emailInput);
    } catch {
      return null;
    }
    if (passwordProblem(password) === 'too_long') return null;
    const row = await this.options.db.kysely.selectFrom('store_users').selectAll().where('email', '=', email).executeTakeFirst();
    const stored = row?.status === 'active' && row.password_hash !== null ? row.password_hash : await (this.#decoy ??= decoyHash(this.#cost));
    const matches = await verifyPassword(password, stored);
    if (!matches || row === undefined || row.status !== 'active') return null;
    await this.options.db.kysely.updateTable('store_users').set({ last_sign_in_at: this.options.clock.now() }).where('id', '=', row.id).execute();
    return userView({ ...row, last_sign_in_at: this.options.clock.now() });
  }

  async list(storeId: StoreId): Promise<StoreUserView[]> {
    const rows = await this.options.db.kysely.selectFrom('store_users').selectAll().where('store_id', '=', storeId).orderBy('created_at').orderBy('id').execute();
    return rows.map(userView);
  }

  /** Disables a user of `storeId` and ends their sessions; a user of another store is not found. */
  async disable(storeId: StoreId, userIdText: string): Promise<StoreUserView> {
    const userId = parseId('su', userIdText);
    const now = this.options.clock.now();
    return this.options.db.transaction(async (trx) => {
      const row = await trx
        .updateTable('store_users')
        .set({ status: 'disabled', invitation_hash: null, invitation_expires_at: null, updated_at: now })
        .where('id', '=', userId)
        .where('store_id', '=', storeId)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new NotFoundError('store_user', userIdText);
      await trx.deleteFrom('store_user_sessions').where('user_id', '=', userId).execute();
      return userView(row);
    });
  }
}
