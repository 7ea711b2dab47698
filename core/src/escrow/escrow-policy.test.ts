import { parseFiatCurrency } from '../money/fiat-currency';
import { DEFAULT_ESCROW_POLICY, escrowPolicyFromJson } from './escrow-policy';
import { chooseRefundDestination } from './refund-destination';

describe('escrowPolicyFromJson', () => {
  test('a store written before escrow existed has the defaults', () => {
    expect(escrowPolicyFromJson(undefined)).toEqual(DEFAULT_ESCROW_POLICY);
    expect(escrowPolicyFromJson(null)).toEqual(DEFAULT_ESCROW_POLICY);
    expect(DEFAULT_ESCROW_POLICY).toEqual({ byDefault: false, inspection: 'shopper', autoAcceptDays: 14, refundRate: 'sale', refundTo: 'shopper_balance' });
  });

  test('reads every field', () => {
    expect(escrowPolicyFromJson({ byDefault: true, inspection: 'carrier', autoAcceptDays: 90, refundRate: 'current', refundTo: 'address' })).toEqual({
      byDefault: true,
      inspection: 'carrier',
      autoAcceptDays: 90,
      refundRate: 'current',
      refundTo: 'address',
    });
  });

  test.each([
    { byDefault: 'yes' },
    { inspection: 'neighbour' },
    { autoAcceptDays: 0 },
    { autoAcceptDays: 91 },
    { autoAcceptDays: 1.5 },
    { refundRate: 'tomorrow' },
    { refundTo: 'wallet' },
  ])('an invalid field %p falls back to its default, the others stay', (bad) => {
    expect(escrowPolicyFromJson({ ...bad, inspection: (bad as { inspection?: string }).inspection ?? 'gift_recipient' })).toMatchObject({
      ...DEFAULT_ESCROW_POLICY,
      inspection: 'inspection' in bad ? 'shopper' : 'gift_recipient',
    });
  });
});

describe('chooseRefundDestination', () => {
  const JPY = parseFiatCurrency('JPY');
  const USD = parseFiatCurrency('USD');

  test('a checkout linked to an account that takes credits is refunded to its balance', () => {
    expect(chooseRefundDestination('shopper_balance', { status: 'active', currency: JPY }, JPY)).toBe('shopper_balance');
    // A frozen account still receives credits; only spends stop.
    expect(chooseRefundDestination('shopper_balance', { status: 'frozen', currency: JPY }, JPY)).toBe('shopper_balance');
  });

  test('unlinked, closed, other currency, or a store that always refunds to an address: the address link', () => {
    expect(chooseRefundDestination('shopper_balance', null, JPY)).toBe('address');
    expect(chooseRefundDestination('shopper_balance', { status: 'closed', currency: JPY }, JPY)).toBe('address');
    expect(chooseRefundDestination('shopper_balance', { status: 'active', currency: USD }, JPY)).toBe('address');
    expect(chooseRefundDestination('address', { status: 'active', currency: JPY }, JPY)).toBe('address');
  });
});
