import { parseFiatCurrency } from '@coinstile/core';
import { parseStatementMonth, statementTotals, type StorePayout } from './portal-payouts';

const payout = (status: StorePayout['status'], currencyCode: string, amountMinor: bigint, feeMinor: bigint): StorePayout => ({
  id: `po_${status}${amountMinor}`,
  status,
  amountMinor,
  feeMinor,
  currency: parseFiatCurrency(currencyCode),
  checkoutId: 'co_x',
  orderId: 'A-1',
  batchId: null,
  providerReference: null,
  failureReason: null,
  dueAt: null,
  createdAt: new Date(0),
  sentAt: null,
  paidAt: null,
});

describe('monthly statement', () => {
  it('takes YYYY-MM as its UTC calendar month and refuses anything else', () => {
    const m = parseStatementMonth('2026-12');
    expect([m.from.toISOString(), m.to.toISOString()]).toEqual(['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    for (const bad of ['2026-13', '2026-1', '26-01', '2026-01-01', undefined, ['2026-01']]) expect(() => parseStatementMonth(bad)).toThrow('month must be YYYY-MM');
  });

  it('totals amounts and fees per currency and status, in status order', () => {
    const totals = statementTotals([payout('paid', 'JPY', 4880n, 100n), payout('scheduled', 'JPY', 1000n, 20n), payout('paid', 'JPY', 120n, 5n), payout('paid', 'USD', 999n, 1n)]);
    expect(totals).toEqual([
      { currency: 'JPY', status: 'scheduled', count: 1, amountMinor: 1000n, feeMinor: 20n },
      { currency: 'JPY', status: 'paid', count: 2, amountMinor: 5000n, feeMinor: 105n },
      { currency: 'USD', status: 'paid', count: 1, amountMinor: 999n, feeMinor: 1n },
    ]);
  });
});
