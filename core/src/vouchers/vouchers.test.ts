import { makeId, type StoreId } from '../ids/id';
import { parseFiatCurrency } from '../money/fiat-currency';
import type { RandomSource } from '../ports/random-source';
import { applyVoucherCommand, type Voucher, type VoucherCommand, VoucherRefusedError, voucherStatusAt } from './voucher';
import { formatPin, generatePin, InvalidPinError, luhnCheckDigit, parsePin, pinLast4 } from './voucher-pin';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (ms: number): Date => new Date(ms);
const STORE: StoreId = makeId('st', T0, new Uint8Array(10).fill(2));
const JPY = parseFiatCurrency('JPY');

describe('voucher PIN', () => {
  test.each([
    ['7992739871', 3],
    ['411111111111111', 1],
    ['401288888888188', 1],
    ['555555555555444', 4],
    ['000000000000000', 0],
  ])('Luhn check digit of %s is %d', (payload, digit) => {
    expect(luhnCheckDigit(payload)).toBe(digit);
  });

  test('known valid 16-digit numbers parse; spaces and hyphens are ignored', () => {
    expect(parsePin('4111111111111111')).toBe('4111111111111111');
    expect(parsePin('4012 8888 8888 1881')).toBe('4012888888881881');
    expect(parsePin('5555-5555-5555-4444')).toBe('5555555555554444');
  });

  test.each([
    ['4111111111111112', 'check_digit'],
    ['4111111111111121', 'check_digit'],
    ['411111111111111', 'malformed'],
    ['41111111111111111', 'malformed'],
    ['4111x11111111111', 'malformed'],
    ['４１１１１１１１１１１１１１１１', 'malformed'],
    ['', 'malformed'],
  ])('%j is refused (%s)', (text, reason) => {
    expect(() => parsePin(text)).toThrow(InvalidPinError);
    try {
      parsePin(text);
    } catch (err) {
      expect((err as InvalidPinError).reason).toBe(reason);
      expect((err as InvalidPinError).httpStatus).toBe(400);
    }
  });

  test('non-strings are refused', () => {
    expect(() => parsePin(4111111111111111)).toThrow(InvalidPinError);
    expect(() => parsePin(null)).toThrow(InvalidPinError);
  });

  test('every single-digit typo of a valid PIN is caught by the check digit', () => {
    const pin = '4012888888881881';
    for (let i = 0; i < 16; i += 1) {
      for (let d = 0; d <= 9; d += 1) {
        const typo = pin.slice(0, i) + String(d) + pin.slice(i + 1);
        if (typo === pin) continue;
        expect(() => parsePin(typo)).toThrow(InvalidPinError);
      }
    }
  });

  test('generated PINs are valid, 16 digits, use rejection sampling and differ', () => {
    let state = 0x2545f491;
    const nextByte = (): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state & 0xff;
    };
    const random: RandomSource = { bytes: (n) => Uint8Array.from({ length: n }, nextByte) };
    const pins = new Set<string>();
    for (let i = 0; i < 200; i += 1) {
      const pin = generatePin(random);
      expect(parsePin(pin)).toBe(pin);
      pins.add(pin);
    }
    expect(pins.size).toBe(200);
    // Bytes ≥ 250 are skipped, never mapped to a digit.
    const only255ThenOnes: RandomSource = { bytes: (n) => Uint8Array.from({ length: n }, (_v, i) => (i < 8 ? 255 : 1)) };
    expect(generatePin(only255ThenOnes).slice(0, 15)).toBe('111111111111111');
  });

  test('format and last four', () => {
    const pin = parsePin('4012888888881881');
    expect(formatPin(pin)).toBe('4012 8888 8888 1881');
    expect(pinLast4(pin)).toBe('1881');
  });
});

function voucher(overrides: Partial<Voucher> = {}): Voucher {
  return {
    id: makeId('vch', T0, new Uint8Array(10).fill(4)),
    batchId: makeId('vb', T0, new Uint8Array(10).fill(5)),
    status: 'issued',
    currency: JPY,
    faceValueMinor: 3000n,
    balanceMinor: 0n,
    expiresAt: at(T0 + 86_400_000),
    activatedByStoreId: null,
    posTransactionId: null,
    activatedAt: null,
    ...overrides,
  };
}

const activate: VoucherCommand = { type: 'activate', storeId: STORE, posTransactionId: 'pos-1', at: at(T0 + 1000) };
const refusal = (v: Voucher, c: VoucherCommand): string => {
  try {
    applyVoucherCommand(v, c);
  } catch (err) {
    if (err instanceof VoucherRefusedError) return err.code;
    throw err;
  }
  return 'accepted';
};

describe('voucher state machine', () => {
  test('issued → activated: the face value becomes spendable; who and when is recorded', () => {
    const v = applyVoucherCommand(voucher(), activate);
    expect(v).toMatchObject({ status: 'activated', balanceMinor: 3000n, activatedByStoreId: STORE, posTransactionId: 'pos-1', activatedAt: at(T0 + 1000) });
    expect(refusal(v, activate)).toBe('voucher_already_activated');
  });

  test('an issued voucher is worth nothing: redeeming it is refused', () => {
    expect(refusal(voucher(), { type: 'redeem', amountMinor: 1n, at: at(T0) })).toBe('voucher_not_activated');
  });

  test('partial redemption keeps the rest; the last yen makes it redeemed; more is refused', () => {
    let v = applyVoucherCommand(voucher(), activate);
    v = applyVoucherCommand(v, { type: 'redeem', amountMinor: 1200n, at: at(T0 + 2000) });
    expect(v).toMatchObject({ status: 'activated', balanceMinor: 1800n });
    expect(refusal(v, { type: 'redeem', amountMinor: 1801n, at: at(T0 + 2000) })).toBe('voucher_exhausted');
    v = applyVoucherCommand(v, { type: 'redeem', amountMinor: 1800n, at: at(T0 + 3000) });
    expect(v).toMatchObject({ status: 'redeemed', balanceMinor: 0n });
    expect(refusal(v, { type: 'redeem', amountMinor: 1n, at: at(T0 + 3000) })).toBe('voucher_exhausted');
    expect(refusal(v, { type: 'redeem', amountMinor: 0n, at: at(T0 + 3000) })).toBe('voucher_bad_amount');
  });

  test('give back returns a held amount, reopening a redeemed voucher, never above face value', () => {
    let v = applyVoucherCommand(applyVoucherCommand(voucher(), activate), { type: 'redeem', amountMinor: 3000n, at: at(T0 + 2000) });
    v = applyVoucherCommand(v, { type: 'give_back', amountMinor: 3000n, at: at(T0 + 4000) });
    expect(v).toMatchObject({ status: 'activated', balanceMinor: 3000n });
    expect(refusal(v, { type: 'give_back', amountMinor: 1n, at: at(T0 + 4000) })).toBe('voucher_bad_amount');
  });

  test('expiry: past expiresAt nothing activates or redeems; a late give back still restores the balance', () => {
    const late = at(T0 + 86_400_000);
    expect(voucherStatusAt(voucher(), late)).toBe('expired');
    expect(refusal(voucher(), { ...activate, at: late })).toBe('voucher_expired');
    const active = applyVoucherCommand(applyVoucherCommand(voucher(), activate), { type: 'redeem', amountMinor: 500n, at: at(T0 + 2000) });
    expect(refusal(active, { type: 'redeem', amountMinor: 1n, at: late })).toBe('voucher_expired');
    const expired = applyVoucherCommand(active, { type: 'expire', at: late });
    expect(expired.status).toBe('expired');
    expect(applyVoucherCommand(expired, { type: 'give_back', amountMinor: 500n, at: late })).toMatchObject({ status: 'expired', balanceMinor: 3000n });
    // Expiring before the time changes nothing.
    expect(applyVoucherCommand(active, { type: 'expire', at: at(T0 + 5000) })).toBe(active);
  });

  test('void: any state but voided; a voided voucher is refused everything but give back', () => {
    const voided = applyVoucherCommand(applyVoucherCommand(voucher(), activate), { type: 'void', at: at(T0 + 2000) });
    expect(voided.status).toBe('voided');
    expect(refusal(voided, { type: 'void', at: at(T0 + 2000) })).toBe('voucher_voided');
    expect(refusal(voided, { type: 'redeem', amountMinor: 1n, at: at(T0 + 2000) })).toBe('voucher_voided');
    expect(refusal(voucher({ status: 'voided' }), activate)).toBe('voucher_voided');
  });

  test('refusals are 422', () => {
    try {
      applyVoucherCommand(voucher(), { type: 'redeem', amountMinor: 1n, at: at(T0) });
    } catch (err) {
      expect((err as VoucherRefusedError).httpStatus).toBe(422);
    }
    expect.assertions(1);
  });
});
