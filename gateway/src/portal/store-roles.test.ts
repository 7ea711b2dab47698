import { roleAllows } from './store-roles';

describe('portal roles', () => {
  it('lets the owner do everything and staff only handle orders', () => {
    expect((['orders', 'payouts', 'integration', 'users'] as const).map((p) => [p, roleAllows('owner', p), roleAllows('staff', p)])).toEqual([
      ['orders', true, true],
      ['payouts', true, false],
      ['integration', true, false],
      ['users', true, false],
    ]);
  });
});
