import { checkWebhookSignature, signWebhookPayload, verifyWebhookSignature } from '../../src/webhooks';

describe('webhook signatures', () => {
  const secret = 'whsec_test_secret';
  const body = '{"id":"co_1:order.released","type":"order.released","data":{"priceMinor":"4980"}}';
  const nowMs = Date.parse('2026-03-01T10:00:00Z');
  const t = Math.floor(nowMs / 1000);

  test('a merchant verifies a delivery in one call', () => {
    const header = signWebhookPayload(secret, body, t);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(body, header, secret, { nowMs })).toBe(true);
    expect(verifyWebhookSignature(Buffer.from(body), header, secret, { nowMs })).toBe(true);
  });

  test('a tampered body, a stale or future timestamp, a wrong secret and a bad header all fail', () => {
    const header = signWebhookPayload(secret, body, t);
    expect(checkWebhookSignature(body.replace('4980', '4981'), header, secret, { nowMs })).toEqual({ valid: false, reason: 'signature_mismatch' });
    expect(checkWebhookSignature(body, header, 'whsec_other', { nowMs })).toEqual({ valid: false, reason: 'signature_mismatch' });
    expect(checkWebhookSignature(body, header, secret, { nowMs: nowMs + 301_000 })).toEqual({ valid: false, reason: 'stale_timestamp' });
    expect(checkWebhookSignature(body, header, secret, { nowMs: nowMs - 301_000 })).toEqual({ valid: false, reason: 'stale_timestamp' });
    expect(checkWebhookSignature(body, header, secret, { nowMs: nowMs + 3_600_000, toleranceSeconds: 7_200 }).valid).toBe(true);
    // Re-signing the same body with a new timestamp is not a replay of the old signature.
    const replayed = header.replace(`t=${t}`, `t=${t + 10}`);
    expect(checkWebhookSignature(body, replayed, secret, { nowMs })).toEqual({ valid: false, reason: 'signature_mismatch' });
    expect(checkWebhookSignature(body, undefined, secret, { nowMs })).toEqual({ valid: false, reason: 'missing_header' });
    expect(checkWebhookSignature(body, 'garbage', secret, { nowMs })).toEqual({ valid: false, reason: 'malformed_header' });
    expect(checkWebhookSignature(body, `t=${t},v1=abc`, secret, { nowMs })).toEqual({ valid: false, reason: 'malformed_header' });
  });

  test('any of several v1 signatures may match (secret rotation)', () => {
    const good = signWebhookPayload(secret, body, t).split(',v1=')[1];
    const other = signWebhookPayload('whsec_old', body, t).split(',v1=')[1];
    expect(verifyWebhookSignature(body, `t=${t},v1=${other},v1=${good}`, secret, { nowMs })).toBe(true);
  });
});
