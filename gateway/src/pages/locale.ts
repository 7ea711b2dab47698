/** The languages the hosted page speaks. */
export type Locale = 'en' | 'ja';

export const LOCALES: readonly Locale[] = ['en', 'ja'];
export const DEFAULT_LOCALE: Locale = 'en';

export function isLocale(value: unknown): value is Locale {
  return value === 'en' || value === 'ja';
}

/** The BCP 47 tag `Intl` formats with. */
export function intlTag(locale: Locale): string {
  switch (locale) {
    case 'en':
      return 'en-US';
    case 'ja':
      return 'ja-JP';
  }
}

/**
 * The page language: `?lang=` when it names a supported language, else the best match of the
 * `Accept-Language` header (by q-value, then order; `ja-JP` matches `ja`), else English.
 */
export function negotiateLocale(langParam: unknown, acceptLanguage: string | undefined): Locale {
  if (isLocale(langParam)) return langParam;
  if (acceptLanguage === undefined) return DEFAULT_LOCALE;
  const ranges = acceptLanguage
    .slice(0, 512)
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      return { primary: tag.trim().toLowerCase().split('-')[0] ?? '', weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((r) => r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const range of ranges) {
    if (isLocale(range.primary)) return range.primary;
  }
  return DEFAULT_LOCALE;
}
