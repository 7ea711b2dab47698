import { MalformedReceiptError } from './receipt-errors';

/** The JWS `typ` of a Coinstile receipt: a verifier refuses any other signed object under the same keys. */
export const RECEIPT_JWS_TYPE = 'coinstile-receipt+jws';

/** One on-chain payment the receipt covers. */
export interface ReceiptPayment {
  readonly txid: string;
  readonly outputIndex: number;
  /** In the asset's base units, decimal string. */
  readonly amountBase: string;
  /** Confirmations when the receipt was issued. */
  readonly confirmations: number;
}

/**
 * What a receipt certifies: this checkout of this store, for this order, was paid on chain and settled at
 * a fiat value locked at quote time. Amounts are decimal strings in the smallest unit their name says.
 */
export interface ReceiptClaims {
  /** The issuing Coinstile (its PUBLIC_URL). */
  readonly iss: string;
  /** The checkout id (`co_…`). */
  readonly sub: string;
  /** The receipt id (`rcpt_…`). */
  readonly rcpt: string;
  readonly storeId: string;
  readonly orderId: string;
  /** The fiat price locked at quote time, ISO 4217 minor units. */
  readonly priceMinor: string;
  readonly currency: string;
  readonly asset: string;
  /** Everything counted towards the checkout, in the asset's base units. */
  readonly amountReceivedBase: string;
  readonly txids: readonly string[];
  readonly payments: readonly ReceiptPayment[];
  /** The fewest confirmations among the payments when the receipt was issued. */
  readonly confirmations: number;
  /** ISO 8601. */
  readonly settledAt: string;
  /** Issued at, Unix seconds. */
  readonly iat: number;
}

const DECIMAL_DIGITS = /^(0|[1-9][0-9]*)$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The claims of a verified payload; throws `MalformedReceiptError` naming the first bad field. */
export function parseReceiptClaims(payload: Uint8Array): ReceiptClaims {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new MalformedReceiptError('the receipt payload is not JSON');
  }
  if (!isRecord(value)) throw new MalformedReceiptError('the receipt payload is not a JSON object');
  const text = (name: string): string => {
    const v = value[name];
    if (typeof v !== 'string' || v.length === 0) throw new MalformedReceiptError(`claim ${name} must be a non-empty string`);
    return v;
  };
  const digits = (name: string, v: unknown = value[name]): string => {
    if (typeof v !== 'string' || !DECIMAL_DIGITS.test(v)) throw new MalformedReceiptError(`claim ${name} must be a decimal string`);
    return v;
  };
  const count = (name: string, v: unknown = value[name]): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new MalformedReceiptError(`claim ${name} must be a non-negative integer`);
    return v;
  };
  const rawPayments = value['payments'];
  if (!Array.isArray(rawPayments)) throw new MalformedReceiptError('claim payments must be an array');
  const payments = rawPayments.map((p: unknown, i): ReceiptPayment => {
    if (!isRecord(p) || typeof p['txid'] !== 'string') throw new MalformedReceiptError(`claim payments[${i}] is not a payment`);
    return { txid: p['txid'], outputIndex: count(`payments[${i}].outputIndex`, p['outputIndex']), amountBase: digits(`payments[${i}].amountBase`, p['amountBase']), confirmations: count(`payments[${i}].confirmations`, p['confirmations']) };
  });
  const txids = value['txids'];
  if (!Array.isArray(txids) || !txids.every((t): t is string => typeof t === 'string')) throw new MalformedReceiptError('claim txids must be an array of strings');
  const settledAt = text('settledAt');
  if (!ISO_INSTANT.test(settledAt)) throw new MalformedReceiptError('claim settledAt must be an ISO 8601 UTC instant');
  return {
    iss: text('iss'),
    sub: text('sub'),
    rcpt: text('rcpt'),
    storeId: text('storeId'),
    orderId: text('orderId'),
    priceMinor: digits('priceMinor'),
    currency: text('currency'),
    asset: text('asset'),
    amountReceivedBase: digits('amountReceivedBase'),
    txids,
    payments,
    confirmations: count('confirmations'),
    settledAt,
    iat: count('iat'),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
