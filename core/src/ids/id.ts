import { ValidationError } from '../errors/api-errors';

/**
 * Id prefixes, one per kind of record. Public ids are `<prefix>_<26 Crockford base32 chars>`.
 * The table is the single source of truth: add a prefix here before using it anywhere.
 */
export const ID_PREFIXES = {
  store: 'st',
  checkout: 'co',
  payment: 'pay',
  payout: 'po',
  payoutBatch: 'pb',
  webhook: 'wh',
  webhookDelivery: 'whd',
  quote: 'qt',
  apiKey: 'key',
  event: 'evt',
  ledgerPosting: 'lp',
  receipt: 'rcpt',
  voucherBatch: 'vb',
  voucher: 'vch',
  shopperAccount: 'acct',
  shipment: 'shp',
  carrier: 'car',
  dispute: 'dsp',
  refund: 'rf',
  escrowHold: 'esc',
  operatorToken: 'opt',
  storeUser: 'su',
} as const;

export type IdPrefix = (typeof ID_PREFIXES)[keyof typeof ID_PREFIXES];

declare const idBrand: unique symbol;
/** An id that has been made by `makeId` or validated by `parseId` for prefix `P`. */
export type Id<P extends IdPrefix> = `${P}_${string}` & { readonly [idBrand]: P };

export type StoreId = Id<'st'>;
export type CheckoutId = Id<'co'>;
export type PaymentId = Id<'pay'>;
export type PayoutId = Id<'po'>;
export type PayoutBatchId = Id<'pb'>;
export type WebhookId = Id<'wh'>;
export type WebhookDeliveryId = Id<'whd'>;
export type QuoteId = Id<'qt'>;
export type ApiKeyId = Id<'key'>;
export type EventId = Id<'evt'>;
export type LedgerPostingId = Id<'lp'>;
export type EscrowHoldId = Id<'esc'>;
export type ShipmentId = Id<'shp'>;
export type CarrierId = Id<'car'>;
export type DisputeId = Id<'dsp'>;
export type RefundId = Id<'rf'>;

/** Crockford base32: no I, L, O, U, so ids survive being read aloud or retyped. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
/** Random bytes `makeId` needs: 80 bits. */
export const ID_RANDOM_BYTES = 10;
const MAX_TIME_MS = 2 ** 48 - 1;
const ALL_PREFIXES: ReadonlySet<string> = new Set(Object.values(ID_PREFIXES));

/** A malformed id, or an id of another kind than the one expected. 400 `invalid_id`. */
export class InvalidIdError extends ValidationError {
  constructor(
    readonly expectedPrefix: string,
    readonly reason: 'not_a_string' | 'wrong_prefix' | 'malformed',
  ) {
    super(`Expected an id of the form ${expectedPrefix}_<26 base32 characters> (${reason})`, { expectedPrefix, reason }, 'invalid_id');
  }
}

/**
 * A new id, sortable by creation time like a ULID: 48 bits of milliseconds since the epoch, then 80
 * caller-supplied random bits, in Crockford base32. Core has no entropy source, so the caller passes
 * `random` (exactly 10 bytes, from a `RandomSource`).
 */
export function makeId<P extends IdPrefix>(prefix: P, nowMs: number, random: Uint8Array): Id<P> {
  if (!ALL_PREFIXES.has(prefix)) throw new RangeError(`Unknown id prefix ${String(prefix)}`);
  if (!Number.isInteger(nowMs) || nowMs < 0 || nowMs > MAX_TIME_MS) {
    throw new RangeError(`Id timestamp must be an integer in [0, 2^48): ${nowMs}`);
  }
  if (random.length !== ID_RANDOM_BYTES) {
    throw new RangeError(`makeId needs exactly ${ID_RANDOM_BYTES} random bytes, got ${random.length}`);
  }
  let time = '';
  let t = nowMs;
  for (let i = 0; i < TIME_CHARS; i++) {
    time = CROCKFORD.charAt(t % 32) + time;
    t = Math.floor(t / 32);
  }
  let bits = 0n;
  for (const byte of random) bits = (bits << 8n) | BigInt(byte);
  let rand = '';
  for (let i = 0; i < RANDOM_CHARS; i++) {
    rand = CROCKFORD.charAt(Number(bits & 31n)) + rand;
    bits >>= 5n;
  }
  return `${prefix}_${time}${rand}` as Id<P>;
}

const BODY = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/**
 * Validates `text` as an id of kind `prefix` and returns it typed. Strict: upper-case canonical form
 * only (ids are compared as strings, so accepting aliases would create duplicates). The first body
 * character is at most 7 because the timestamp is 48 bits.
 */
export function parseId<P extends IdPrefix>(prefix: P, text: unknown): Id<P> {
  if (typeof text !== 'string') throw new InvalidIdError(prefix, 'not_a_string');
  if (!text.startsWith(`${prefix}_`)) throw new InvalidIdError(prefix, 'wrong_prefix');
  if (!BODY.test(text.slice(prefix.length + 1))) throw new InvalidIdError(prefix, 'malformed');
  return text as Id<P>;
}

/** True when `text` is a well-formed id of kind `prefix`. */
export function isId<P extends IdPrefix>(prefix: P, text: unknown): text is Id<P> {
  try {
    parseId(prefix, text);
    return true;
  } catch {
    return false;
  }
}

/** The creation time (ms since the epoch) encoded in an id. */
export function idTimestampMs(id: Id<IdPrefix>): number {
  const body = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 1 + TIME_CHARS);
  let ms = 0;
  for (const ch of body) ms = ms * 32 + CROCKFORD.indexOf(ch);
  return ms;
}
