import { type QuoteId, parseFiatCurrency } from '@coinstile/core';
import type { Quote } from './quote';
import { InvalidQuoteTokenError, QuoteTokenSigner } from './quote-token';

const quote: Quote = {
  id: 'qt_01JD0000000000000000000000' as QuoteId,
  storeId: 'st_01JD0000000000000000000000',
  asset: 'BTC',
  currency: parseFiatCurrency('JPY'),
  priceMinor: 4980n,
  amountDueBase: 55312n,
  rate: '9003412',
  marketRate: '9003412',
  spreadBps: 0,
  sources: [],
  demo: false,
  createdAt: new Date(1_700_000_000_000),
  expiresAt: new Date(1_700_000_900_000),
};

describe('QuoteTokenSigner', () => {
  const signer = new QuoteTokenSigner('k'.repeat(32));

  it('signs deterministically and verifies its own tokens', () => {
    const token = signer.sign(quote);
    expect(token).toBe(signer.sign(quote));
    expect(token).toMatch(/^qt1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(signer.verify(token)).toEqual({
      id: quote.id,
      storeId: quote.storeId,
      asset: 'BTC',
      currency: 'JPY',
      priceMinor: '4980',
      amountDueBase: '55312',
      rate: '9003412',
      spreadBps: 0,
      createdAtMs: 1_700_000_000_000,
      expiresAtMs: 1_700_000_900_000,
    });
  });

  it('rejects a tampered payload, a foreign key and garbage', () => {
    const token = signer.sign(quote);
    const [version, , mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...signer.verify(token), amountDueBase: '1' })).toString('base64url');
    expect(() => signer.verify(`${version}.${forged}.${mac}`)).toThrow(InvalidQuoteTokenError);
    expect(() => new QuoteTokenSigner('x'.repeat(32)).verify(token)).toThrow(InvalidQuoteTokenError);
    expect(() => signer.verify('not-a-token')).toThrow(InvalidQuoteTokenError);
    expect(() => signer.verify('qt1..')).toThrow(InvalidQuoteTokenError);
  });

  it('refuses a short key', () => {
    expect(() => new QuoteTokenSigner('short')).toThrow(RangeError);
  });
});
