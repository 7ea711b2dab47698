import { ValidationError } from '@coinstile/core';
import { CHECKOUT_STATUSES, parseListFilter } from './dashboard-lists';
import { formatAge } from './dashboard-messages';

describe('list filters', () => {
  it('takes status, store, a UTC day range (end day inclusive) and a cursor', () => {
    const filter = parseListFilter(
      { status: 'settled', store: 'st_01M7YJ5YNWS0BNZYJAWACABAVP', from: '2026-11-20', to: '2026-11-21', cursor: 'co_01M7YJ5YNWS0BNZYJAWACABAVP' },
      CHECKOUT_STATUSES,
      'co',
    );
    expect(filter).toEqual({
      status: 'settled',
      storeId: 'st_01M7YJ5YNWS0BNZYJAWACABAVP',
      from: new Date('2026-11-20T00:00:00Z'),
      to: new Date('2026-11-22T00:00:00Z'),
      cursor: 'co_01M7YJ5YNWS0BNZYJAWACABAVP',
    });
    expect(parseListFilter({ status: '', store: '' }, CHECKOUT_STATUSES, 'co')).toEqual({
      status: undefined,
      storeId: undefined,
      from: undefined,
      to: undefined,
      cursor: undefined,
    });
  });

  it.each([
    [{ status: 'paid' }],
    [{ status: ['new', 'settled'] }],
    [{ store: 'co_01M7YJ5YNWS0BNZYJAWACABAVP' }],
    [{ from: '2026-13-45' }],
    [{ to: 'yesterday' }],
    [{ cursor: 'po_01M7YJ5YNWS0BNZYJAWACABAVP' }],
  ])('refuses %j with a ValidationError', (query) => {
    expect(() => parseListFilter(query, CHECKOUT_STATUSES, 'co')).toThrow(ValidationError);
  });
});

describe('ages', () => {
  it('reads at a glance in both languages', () => {
    expect([0, 59_999, 61_000, 3_600_000, 7_260_000, 50 * 3_600_000].map((ms) => formatAge(ms, 'en'))).toEqual(['0s', '59s', '1m 1s', '1h 0m', '2h 1m', '2d 2h']);
    expect(formatAge(7_260_000, 'ja')).toBe('2時間 1分');
  });
});
