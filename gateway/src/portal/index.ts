export { createPortalRouter, invitationUrl, PORTAL_CSP, type PortalDeps } from './portal-router';
export { portalFor, type PortalForGateway, type PortalForGatewayOptions } from './portal-for-gateway';
export type { PortalShipments, ShipmentCarrier } from './portal-shipments';
export { StoreUserService, InvitationNotFoundError, PasswordRefusedError, normalizeEmail, type Inviter, type IssuedInvitation, type StoreUserView } from './store-users';
export { roleAllows, type PortalPermission, type StoreRole } from './store-roles';
export { STORE_USERS_OPENAPI, createStoreUsersApiRouter, inviteStoreUserSchema } from './store-users-api';
export { hashPassword, verifyPassword, DEFAULT_SCRYPT_COST, type ScryptCost } from './password-hashing';
