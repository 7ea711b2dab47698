import { makeId, parseFiatCurrency, type PayoutId, type StoreId } from '@coinstile/core';
import { BankFilePayoutProvider } from './bank-file-provider';
import { HttpPayoutProvider } from './http-payout-provider';
import { ManualPayoutProvider } from './manual-payout-provider';
import { PayoutConfigError, payoutSetupFromEnv } from './payout-provider-config';

const clock = { now: () => new Date(0) };
const bankEnv = { PAYOUT_DEBTOR_NAME: 'Coinstile Mall GmbH', PAYOUT_DEBTOR_IBAN: 'DE89 3704 0044 0532 0130 00', PAYOUT_DEBTOR_BIC: 'cobadeffxxx' };
const payout = (currency: string) => ({
  payoutId: makeId('po', 1, new Uint8Array(10)) as PayoutId,
  storeId: makeId('st', 1, new Uint8Array(10)) as StoreId,
  currency: parseFiatCurrency(currency),
  amountMinor: 1n,
  accountKind: 'iban',
});

describe('payoutSetupFromEnv', () => {
  test('defaults to bank files in <dataDir>/payouts, every currency routed to them', () => {
    const setup = payoutSetupFromEnv(bankEnv, '/data', clock);
    expect(setup.providers).toHaveLength(1);
    expect(setup.providers[0]).toBeInstanceOf(BankFilePayoutProvider);
    expect(setup.bankFileDirectory).toBe('/data/payouts');
    expect(setup.route(payout('EUR'))).toBe('bank_file');
  });

  test('several providers with per-currency routes', () => {
    const setup = payoutSetupFromEnv(
      { ...bankEnv, PAYOUT_PROVIDERS: 'bank_file, http_api,manual', PAYOUT_API_URL: 'https://payouts.example.com/v1', PAYOUT_ROUTES: 'JPY=manual,USD=http_api' },
      '/data',
      clock,
    );
    expect(setup.providers.map((p) => p.constructor)).toEqual([BankFilePayoutProvider, HttpPayoutProvider, ManualPayoutProvider]);
    expect([setup.route(payout('JPY')), setup.route(payout('USD')), setup.route(payout('EUR'))]).toEqual(['manual', 'http_api', 'bank_file']);
  });

  test.each([
    [{}, 'PAYOUT_DEBTOR_IBAN'],
    [{ ...bankEnv, PAYOUT_DEBTOR_IBAN: 'not an iban' }, 'PAYOUT_DEBTOR_IBAN'],
    [{ ...bankEnv, PAYOUT_DEBTOR_BIC: 'COBA' }, 'PAYOUT_DEBTOR_BIC'],
    [{ PAYOUT_PROVIDERS: 'http_api' }, 'PAYOUT_API_URL'],
    [{ PAYOUT_PROVIDERS: 'http_api', PAYOUT_API_URL: 'http://payouts.example.com' }, 'PAYOUT_API_URL'],
    [{ PAYOUT_PROVIDERS: 'paypal' }, 'PAYOUT_PROVIDERS'],
    [{ PAYOUT_PROVIDERS: ' , ' }, 'PAYOUT_PROVIDERS'],
    [{ PAYOUT_PROVIDERS: 'manual', PAYOUT_ROUTES: 'JPY=bank_file' }, 'PAYOUT_ROUTES'],
    [{ PAYOUT_PROVIDERS: 'manual', PAYOUT_ROUTES: 'yen->manual' }, 'PAYOUT_ROUTES'],
  ])('refuses %p naming %s', (env, variable) => {
    try {
      payoutSetupFromEnv(env, '/data', clock);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(PayoutConfigError);
      expect((err as PayoutConfigError).variable).toBe(variable);
    }
  });
});
