import { parseId } from '@coinstile/core';
import { Router } from 'express';
import { z } from 'zod';
import { requireOperator } from '../auth/principal';
import { validate } from '../http/validate';
import { errorResponses, idParam, jsonContent, OPERATOR_SECURITY, type OpenApiFragment } from '../openapi/openapi-fragment';
import { invitationUrl } from './portal-router';
import { STORE_ROLES } from './store-roles';
import type { StoreService } from '../stores/store-service';
import type { StoreUserService } from './store-users';

/** `POST /v1/stores/{id}/users` body. */
export const inviteStoreUserSchema = z.strictObject({
  email: z.string().min(3).max(254).describe('The invitee signs in with it'),
  role: z.enum(STORE_ROLES as ['owner', 'staff']).describe('owner: everything of the store; staff: orders and shipments'),
});

const storeUserSchema = z.object({
  id: z.string(),
  storeId: z.string(),
  email: z.string(),
  role: z.enum(['owner', 'staff']),
  status: z.enum(['invited', 'active', 'disabled']),
  invitationExpiresAt: z.string().nullable(),
  createdAt: z.string(),
  lastSignInAt: z.string().nullable(),
});

const storeUserInvitationSchema = storeUserSchema.extend({
  invitationUrl: z.string().describe('One-time link to the page where the invitee sets a password; shown once'),
});

/**
 * The operator's store-user API: `POST /v1/stores/{id}/users` invites someone to a store's portal (the
 * one-time invitation link comes back once; inviting a pending invitee again issues a new link),
 * `GET /v1/stores/{id}/users` lists them. Operator token only.
 */
export function createStoreUsersApiRouter(deps: { users: StoreUserService; stores: StoreService; publicUrl: string; basePath: string }): Router {
  const router = Router();

  router.post('/v1/stores/:id/users', async (req, res) => {
    const operator = requireOperator(res);
    const storeId = parseId('st', req.params['id']);
    const body = validate(inviteStoreUserSchema, req.body, 'body');
    const issued = await deps.users.invite({ storeId, email: body.email, role: body.role, inviter: { kind: 'operator', tokenId: operator.tokenId } });
    res.status(201).set('Cache-Control', 'no-store').json({ ...issued.user, invitationUrl: invitationUrl(deps.publicUrl, deps.basePath, issued.token) });
  });

  router.get('/v1/stores/:id/users', async (req, res) => {
    requireOperator(res);
    const store = await deps.stores.get(String(req.params['id']));
    res.json({ data: await deps.users.list(store.id), nextCursor: null });
  });

  return router;
}

/** The store-user routes in `/openapi.json`. */
export const STORE_USERS_OPENAPI: OpenApiFragment = {
  components: { InviteStoreUserRequest: inviteStoreUserSchema, StoreUser: storeUserSchema, StoreUserInvitation: storeUserInvitationSchema },
  paths: {
    '/v1/stores/{id}/users': {
      post: {
        summary: "Invite a user to the store's portal (operator); the one-time invitation link is shown once",
        security: OPERATOR_SECURITY,
        parameters: [idParam('id', 'st')],
        requestBody: { required: true, content: jsonContent('InviteStoreUserRequest') },
        responses: { '201': { description: 'Invited', content: jsonContent('StoreUserInvitation') }, ...errorResponses('400', '401', '403', '404', '409', '413', '429') },
      },
      get: {
        summary: "The store's portal users (operator)",
        security: OPERATOR_SECURITY,
        parameters: [idParam('id', 'st')],
        responses: { '200': { description: 'Users: { data: StoreUser[], nextCursor: null }' }, ...errorResponses('400', '401', '403', '404', '429') },
      },
    },
  },
};
