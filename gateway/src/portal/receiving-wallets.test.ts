import { gapStateOf } from './receiving-wallets';

describe('gap limit warning', () => {
  it('is ok below three quarters of the limit, approaching from there, exceeded at the limit', () => {
    expect([0n, 14n, 15n, 19n, 20n, 35n].map((n) => gapStateOf(n, 20))).toEqual(['ok', 'ok', 'approaching', 'approaching', 'exceeded', 'exceeded']);
  });
});
