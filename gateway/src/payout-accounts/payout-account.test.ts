import fc from 'fast-check';
import { parseBic } from './bic';
import { parseHolderName } from './holder-name';
import { formatIban, IBAN_LENGTHS, ibanMod97, parseIban } from './iban';
import { parsePayoutAccount } from './payout-account';
import { InvalidPayoutAccountError } from './payout-account-error';

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof InvalidPayoutAccountError)) throw err;
    return err.reason;
  }
}

// Example IBANs of the SWIFT IBAN registry.
const REGISTRY_EXAMPLES = [
  'AD1200012030200359100100',
  'AT611904300234573201',
  'BE68539007547034',
  'BR1800360305000010009795493C1',
  'CH9300762011623852957',
  'DE89370400440532013000',
  'FR1420041010050500013M02606',
  'GB29NWBK60161331926819',
  'LC55HEMM000100010012001200023015',
  'MT84MALT011000012345MTLCAST001S',
  'NL91ABNA0417164300',
  'NO9386011117947',
];

describe('IBAN', () => {
  it.each(REGISTRY_EXAMPLES)('accepts the registry example %s', (iban) => {
    expect(parseIban(iban)).toBe(iban);
    expect(iban.length).toBe(IBAN_LENGTHS[iban.slice(0, 2)]);
  });

  it('normalises spaces, hyphens and case', () => {
    expect(parseIban(' de89 3704 0044 0532 0130 00 ')).toBe('DE89370400440532013000');
    expect(parseIban('GB29-NWBK-6016-1331-9268-19')).toBe('GB29NWBK60161331926819');
    expect(formatIban('DE89370400440532013000')).toBe('DE89 3704 0044 0532 0130 00');
  });

  it('refuses wrong check digits, transposed digits, wrong lengths and unknown countries', () => {
    expect(reasonOf(() => parseIban('DE88370400440532013000'))).toBe('bad_checksum');
    expect(reasonOf(() => parseIban('DE89370400440523013000'))).toBe('bad_checksum');
    expect(reasonOf(() => parseIban('DE8937040044053201300'))).toBe('wrong_length');
    expect(reasonOf(() => parseIban('US12345678901234567890'))).toBe('unknown_country');
    expect(reasonOf(() => parseIban('DE89 3704 0044 0532 0130 0!'))).toBe('malformed');
    expect(reasonOf(() => parseIban(''))).toBe('malformed');
    expect(reasonOf(() => parseIban(42))).toBe('not_a_string');
  });

  it('detects every single-character substitution in a valid IBAN (mod 97 property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REGISTRY_EXAMPLES), fc.nat(), fc.constantFrom(...'0123456789'), (iban, at, digit) => {
        const i = 2 + (at % (iban.length - 2));
        fc.pre(/[0-9]/.test(iban[i]!) && iban[i] !== digit);
        const mutated = iban.slice(0, i) + digit + iban.slice(i + 1);
        expect(ibanMod97(mutated)).not.toBe(1);
      }),
    );
  });
});

describe('BIC', () => {
  it('accepts 8 and 11 characters and normalises case', () => {
    expect(parseBic('COBADEFFXXX')).toBe('COBADEFFXXX');
    expect(parseBic('deutdeff')).toBe('DEUTDEFF');
    expect(parseBic('BOTK JP JT')).toBe('BOTKJPJT');
  });

  it.each(['COBADEFF1', 'COBADEFFXX', 'COBA1EFFXXX', 'COBADE', 'COBADEFF_XX', ''])('refuses %s', (bic) => {
    expect(reasonOf(() => parseBic(bic))).toBe('malformed');
  });
});

describe('holder name', () => {
  it('trims and collapses whitespace, keeps Unicode names', () => {
    expect(parseHolderName('  Kobe   Tea House KK ')).toBe('Kobe Tea House KK');
    expect(parseHolderName('株式会社神戸ティーハウス')).toBe('株式会社神戸ティーハウス');
  });

  it('refuses empty, over-long and control-character names', () => {
    expect(reasonOf(() => parseHolderName('   '))).toBe('empty');
    expect(reasonOf(() => parseHolderName('x'.repeat(71)))).toBe('too_long');
    expect(reasonOf(() => parseHolderName('Evil\u0000Corp'))).toBe('control_characters');
  });
});

describe('payout account union', () => {
  it('reads DESIGN.md\'s example as an iban account', () => {
    expect(parsePayoutAccount({ iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', holderName: 'Kobe Tea House KK' })).toEqual({
      kind: 'iban',
      iban: 'DE89370400440532013000',
      bic: 'COBADEFFXXX',
      holderName: 'Kobe Tea House KK',
    });
    expect(parsePayoutAccount({ kind: 'iban', iban: 'NL91ABNA0417164300', holderName: 'A' }).kind).toBe('iban');
  });

  it('validates a Zengin account and pads the account number', () => {
    expect(
      parsePayoutAccount({ kind: 'jp_zengin', bankCode: '0005', branchCode: '001', accountType: 'ordinary', accountNumber: '12345', holderNameKana: 'ｺｳﾍﾞ ﾃｲ-ﾊｳｽ(ｶ' }),
    ).toEqual({ kind: 'jp_zengin', bankCode: '0005', branchCode: '001', accountType: 'ordinary', accountNumber: '0012345', holderNameKana: 'ｺｳﾍﾞ ﾃｲ-ﾊｳｽ(ｶ' });
  });

  it.each([
    [{ kind: 'jp_zengin', bankCode: '05', branchCode: '001', accountType: 'ordinary', accountNumber: '1', holderNameKana: 'ｱ' }, 'bankCode'],
    [{ kind: 'jp_zengin', bankCode: '0005', branchCode: '1', accountType: 'ordinary', accountNumber: '1', holderNameKana: 'ｱ' }, 'branchCode'],
    [{ kind: 'jp_zengin', bankCode: '0005', branchCode: '001', accountType: 'fixed', accountNumber: '1', holderNameKana: 'ｱ' }, 'accountType'],
    [{ kind: 'jp_zengin', bankCode: '0005', branchCode: '001', accountType: 'ordinary', accountNumber: '12345678', holderNameKana: 'ｱ' }, 'accountNumber'],
    [{ kind: 'jp_zengin', bankCode: '0005', branchCode: '001', accountType: 'ordinary', accountNumber: '1', holderNameKana: 'コウベ' }, 'holderNameKana'],
    [{ kind: 'jp_zengin', bankCode: '0005', branchCode: '001', accountType: 'ordinary', accountNumber: '1', holderNameKana: 'ｺｯﾌﾟ' }, 'holderNameKana'],
    [{ kind: 'ach', routing: '1' }, 'kind'],
    [{ bic: 'COBADEFF', holderName: 'x' }, 'kind'],
    [{ iban: 'DE89370400440532013000', bic: 'NOPE', holderName: 'x' }, 'bic'],
    [{ iban: 'DE89370400440532013000' }, 'holderName'],
  ])('refuses %j at field %s', (input, field) => {
    try {
      parsePayoutAccount(input);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidPayoutAccountError);
      expect((err as InvalidPayoutAccountError).field).toBe(field);
      expect((err as InvalidPayoutAccountError).httpStatus).toBe(400);
    }
  });

  it('never throws anything but InvalidPayoutAccountError on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ kind: fc.constantFrom('iban', 'jp_zengin'), iban: fc.string(), bic: fc.string(), holderName: fc.string(), bankCode: fc.string(), branchCode: fc.string(), accountType: fc.string(), accountNumber: fc.string(), holderNameKana: fc.string() }, { requiredKeys: [] })), (input) => {
        reasonOf(() => parsePayoutAccount(input));
      }),
      { numRuns: 1000 },
    );
  });
});
