import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { signCompactJws } from './compact-jws';
import { ed25519PublicX, ed25519Thumbprint, publicJwk } from './jwk';
import { RECEIPT_JWS_TYPE, type ReceiptClaims } from './receipt-claims';
import {
  InvalidJwksError,
  MalformedReceiptError,
  RetiredReceiptKeyError,
  TamperedReceiptError,
  UnknownReceiptKeyError,
  WrongStoreReceiptError,
} from './receipt-errors';
import { verifyReceipt } from './verify-receipt';

// RFC 8037 Appendix A: the Ed25519 key, its thumbprint and a JWS signed with it.
const RFC8037_JWK = { kty: 'OKP', crv: 'Ed25519', d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
const RFC8037_THUMBPRINT = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';
const RFC8037_JWS =
  'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg';

const claims: ReceiptClaims = {
  iss: 'https://pay.example.com',
  sub: 'co_01JD0000000000000000000000',
  rcpt: 'rcpt_01JD0000000000000000000000',
  storeId: 'st_01JD0000000000000000000000',
  orderId: 'A-1042',
  priceMinor: '4980',
  currency: 'JPY',
  asset: 'BTC',
  amountReceivedBase: '55313',
  txids: ['ab'.repeat(32)],
  payments: [{ txid: 'ab'.repeat(32), outputIndex: 0, amountBase: '55313', confirmations: 6 }],
  confirmations: 6,
  settledAt: '2026-11-21T08:00:00.000Z',
  iat: 1_795_000_000,
};

function newKey(): { privateKey: KeyObject; kid: string; x: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const x = ed25519PublicX(privateKey);
  return { privateKey, x, kid: ed25519Thumbprint(x) };
}

function sign(key: { privateKey: KeyObject; kid: string }, body: unknown = claims, header: Record<string, unknown> = {}): string {
  return signCompactJws({ alg: 'EdDSA', typ: RECEIPT_JWS_TYPE, kid: key.kid, ...header }, Buffer.from(JSON.stringify(body)), key.privateKey);
}

describe('JWS and JWK primitives', () => {
  test('RFC 8037 A.3: the thumbprint of the example key', () => {
    expect(ed25519Thumbprint(RFC8037_JWK.x)).toBe(RFC8037_THUMBPRINT);
    expect(publicJwk(RFC8037_JWK.x, null).kid).toBe(RFC8037_THUMBPRINT);
  });

  test('RFC 8037 A.4: signing the example payload gives the example JWS byte for byte', () => {
    const privateKey = createPrivateKey({ key: RFC8037_JWK, format: 'jwk' });
    expect(ed25519PublicX(privateKey)).toBe(RFC8037_JWK.x);
    expect(signCompactJws({ alg: 'EdDSA' }, Buffer.from('Example of Ed25519 signing'), privateKey)).toBe(RFC8037_JWS);
  });

  test('published JWKs carry no private member', () => {
    const jwk = publicJwk(RFC8037_JWK.x, new Date('2027-01-01T00:00:00Z'));
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'exp', 'kid', 'kty', 'use', 'x']);
    expect(jwk.exp).toBe(Date.parse('2027-01-01T00:00:00Z') / 1000);
  });
});

describe('verifyReceipt', () => {
  const key = newKey();
  const jwks = { keys: [publicJwk(key.x, null)] };

  test('a receipt signed by a published key verifies and yields its claims', () => {
    expect(verifyReceipt(sign(key), jwks)).toEqual(claims);
    expect(verifyReceipt(sign(key), jwks, { expectedStoreId: claims.storeId })).toEqual(claims);
  });

  test('any change to payload, header or signature is refused as tampered', () => {
    const [h, p, s] = sign(key).split('.') as [string, string, string];
    const richer = Buffer.from(JSON.stringify({ ...claims, priceMinor: '49800' })).toString('base64url');
    expect(() => verifyReceipt(`${h}.${richer}.${s}`, jwks)).toThrow(TamperedReceiptError);
    const otherSig = Buffer.from(s, 'base64url');
    otherSig[0] = otherSig[0]! ^ 1;
    expect(() => verifyReceipt(`${h}.${p}.${otherSig.toString('base64url')}`, jwks)).toThrow(TamperedReceiptError);
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: RECEIPT_JWS_TYPE, kid: key.kid, x: 1 })).toString('base64url');
    expect(() => verifyReceipt(`${header}.${p}.${s}`, jwks)).toThrow(TamperedReceiptError);
  });

  test('a key the set does not list, or lists under a kid that is not its thumbprint, is unknown', () => {
    const stranger = newKey();
    expect(() => verifyReceipt(sign(stranger), jwks)).toThrow(UnknownReceiptKeyError);
    const impostor = { keys: [{ ...publicJwk(stranger.x, null), kid: key.kid }] };
    expect(() => verifyReceipt(sign(key), impostor)).toThrow(UnknownReceiptKeyError);
  });

  test('a key past its exp is retired; before it, still valid', () => {
    const retiring = { keys: [publicJwk(key.x, new Date('2027-01-01T00:00:00Z'))] };
    expect(verifyReceipt(sign(key), retiring, { now: new Date('2026-12-31T23:59:59Z') }).rcpt).toBe(claims.rcpt);
    const err = (() => {
      try {
        verifyReceipt(sign(key), retiring, { now: new Date('2027-01-01T00:00:00Z') });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(RetiredReceiptKeyError);
    expect((err as RetiredReceiptKeyError).reason).toBe('key_retired');
  });

  test('a receipt of another store is refused', () => {
    expect(() => verifyReceipt(sign(key), jwks, { expectedStoreId: 'st_01JDOTHER00000000000000000' })).toThrow(WrongStoreReceiptError);
  });

  test.each([
    ['empty', ''],
    ['two parts', 'a.b'],
    ['not base64url', 'a+b.c.d'],
    ['header not JSON', `${Buffer.from('nope').toString('base64url')}.e30.AA`],
  ])('malformed input (%s) is refused as malformed', (_what, jws) => {
    expect(() => verifyReceipt(jws, jwks)).toThrow(MalformedReceiptError);
  });

  test('wrong typ, another alg, no kid, or bad claims are malformed even when signed', () => {
    expect(() => verifyReceipt(sign(key, claims, { typ: 'JWT' }), jwks)).toThrow(MalformedReceiptError);
    expect(() => verifyReceipt(sign(key, claims, { alg: 'none' }), jwks)).toThrow(MalformedReceiptError);
    expect(() => verifyReceipt(sign(key, claims, { kid: undefined }), jwks)).toThrow(MalformedReceiptError);
    expect(() => verifyReceipt(sign(key, { ...claims, priceMinor: 4980 }), jwks)).toThrow(MalformedReceiptError);
    expect(() => verifyReceipt(sign(key, { ...claims, settledAt: 'yesterday' }), jwks)).toThrow(MalformedReceiptError);
  });

  test('a key set that is not a JWKS is refused', () => {
    expect(() => verifyReceipt(sign(key), [jwks.keys[0]])).toThrow(InvalidJwksError);
    expect(() => verifyReceipt(sign(key), null)).toThrow(InvalidJwksError);
  });
});
