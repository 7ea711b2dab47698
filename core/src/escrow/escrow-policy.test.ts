import { DEFAULT_ESCROW_POLICY, escrowPolicyFromJson } from './escrow-policy';

describe('escrowPolicyFromJson', () => {
  test('a store written before escrow existed has the defaults', () => {
    expect(escrowPolicyFromJson(undefined)).toEqual(DEFAULT_ESCROW_POLICY);
    expect(escrowPolicyFromJson(null)).toEqual(DEFAULT_ESCROW_POLICY);
    expect(DEFAULT_ESCROW_POLICY).toEqual({ byDefault: false, inspection: 'shopper', autoAcceptDays: 14, refundRate: 'sale' });
  });

  test('reads every field', () => {
    expect(escrowPolicyFromJson({ byDefault: true, inspection: 'carrier', autoAcceptDays: 90, refundRate: 'current' })).toEqual({
      byDefault: true,
      inspection: 'carrier',
      autoAcceptDays: 90,
      refundRate: 'current',
    });
  });

  test.each([
    { byDefault: 'yes' },
    { inspection: 'neighbour' },
    { autoAcceptDays: 0 },
    { autoAcceptDays: 91 },
    { autoAcceptDays: 1.5 },
    { refundRate: 'tomorrow' },
  ])('an invalid field %p falls back to its default, the others stay', (bad) => {
    expect(escrowPolicyFromJson({ ...bad, inspection: (bad as { inspection?: string }).inspection ?? 'gift_recipient' })).toMatchObject({
      ...DEFAULT_ESCROW_POLICY,
      inspection: 'inspection' in bad ? 'shopper' : 'gift_recipient',
    });
  });
});
