import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header every delivery carries: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>`. */
export const SIGNATURE_HEADER = 'Coinstile-Signature';

/** The `Coinstile-Signature` value for `rawBody` signed at `timestampSeconds`. */
export function signWebhookPayload(secret: string, rawBody: string | Buffer, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(rawBody).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

export type SignatureCheck =
  | { readonly valid: true; readonly timestampSeconds: number }
  | { readonly valid: false; readonly reason: 'missing_header' | 'malformed_header' | 'stale_timestamp' | 'signature_mismatch' };

export interface VerifyWebhookSignatureOptions {
  /** How far the signature time may be from now, either way; default 300 s. */
  readonly toleranceSeconds?: number;
  /** Current time in ms (tests); default `Date.now()`. */
  readonly nowMs?: number;
}

/**
 * Checks a delivery's signature and says why it fails: the raw body exactly as received (not re-serialised
 * JSON), the header value, and the endpoint's secret. Any `v1=` entry may match (several appear while a
 * secret is rotated); comparison is constant-time.
 */
export function checkWebhookSignature(
  rawBody: string | Buffer,
  header: string | null | undefined,
  secret: string,
  opts: VerifyWebhookSignatureOptions = {},
): SignatureCheck {
  if (header === undefined || header === null || header.length === 0) return { valid: false, reason: 'missing_header' };
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^[0-9]{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) return { valid: false, reason: 'malformed_header' };
  const tolerance = opts.toleranceSeconds ?? 300;
  const nowSeconds = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - timestamp) > tolerance) return { valid: false, reason: 'stale_timestamp' };
  const expected = Buffer.from(signWebhookPayload(secret, rawBody, timestamp).slice(`t=${timestamp},v1=`.length), 'hex');
  const matches = candidates.some((candidate) => timingSafeEqual(Buffer.from(candidate, 'hex'), expected));
  return matches ? { valid: true, timestampSeconds: timestamp } : { valid: false, reason: 'signature_mismatch' };
}

/**
 * True when `header` is a valid Coinstile signature of `rawBody` under `secret`, made within
 * `toleranceSeconds` (default 300) of now. For a merchant's webhook handler:
 *
 * ```ts
 * app.post('/coinstile', express.raw({ type: 'application/json' }), (req, res) => {
 *   if (!verifyWebhookSignature(req.body, req.get('Coinstile-Signature'), process.env.COINSTILE_WEBHOOK_SECRET!)) return res.sendStatus(400);
 *   const event = JSON.parse(req.body.toString('utf8')); // deduplicate on event.id: retries repeat it
 *   res.sendStatus(204);
 * });
 * ```
 */
export function verifyWebhookSignature(
  rawBody: string | Buffer,
  header: string | null | undefined,
  secret: string,
  opts: VerifyWebhookSignatureOptions = {},
): boolean {
  return checkWebhookSignature(rawBody, header, secret, opts).valid;
}
