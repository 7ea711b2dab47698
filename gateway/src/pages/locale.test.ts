import { negotiateLocale } from './locale';

describe('negotiateLocale', () => {
  it.each([
    [undefined, undefined, 'en'],
    [undefined, 'ja', 'ja'],
    [undefined, 'ja-JP,ja;q=0.9,en-US;q=0.8', 'ja'],
    [undefined, 'en-GB,en;q=0.9,ja;q=0.8', 'en'],
    [undefined, 'fr-FR,ja;q=0.5,en;q=0.4', 'ja'],
    [undefined, 'fr,de', 'en'],
    [undefined, 'en;q=0.2,ja;q=0.7', 'ja'],
    [undefined, 'ja;q=0', 'en'],
    [undefined, 'ja;q=abc, en', 'en'],
    [undefined, '', 'en'],
    ['ja', 'en', 'ja'],
    ['en', 'ja', 'en'],
    ['de', 'ja', 'ja'],
    [['ja', 'en'], 'en', 'en'],
  ])('lang=%p, Accept-Language %p → %s', (lang, header, expected) => {
    expect(negotiateLocale(lang, header)).toBe(expected);
  });

  it('reads only the start of an oversized header', () => {
    expect(negotiateLocale(undefined, `${'x;q=0.1,'.repeat(10_000)}ja`)).toBe('en');
  });
});
