/**
 * Text in pain.001 files is restricted to the SEPA basic Latin character set (EPC rulebook, "SEPA
 * Requirements for an Extended Character Set", section 1.4): `a-z A-Z 0-9 / - ? : ( ) . , ' +` and
 * space. Banks outside SEPA accept this set too, so every currency's file uses it.
 *
 * Decision: names and remittance text are **transliterated** (accents dropped after Unicode NFD, German
 * and Nordic letters spelled out, `&` as `+`, other symbols as a space) and then trimmed to the field's
 * length; when nothing representable is left (a name written only in kanji, say) the payout is
 * **refused** with `name_not_representable` instead of sending an empty or misleading name.
 */
const SPELLED: Readonly<Record<string, string>> = {
  ß: 'ss', ẞ: 'SS', Æ: 'AE', æ: 'ae', Œ: 'OE', œ: 'oe', Ø: 'O', ø: 'o', Đ: 'D', đ: 'd', Ł: 'L', ł: 'l',
  Þ: 'TH', þ: 'th', Ð: 'D', ð: 'd', ı: 'i', '&': '+', _: '-', '"': "'", '‘': "'", '’': "'", '“': "'", '”': "'",
  '–': '-', '—': '-', '\u00a0': ' ',
};

const ALLOWED = /[A-Za-z0-9/\-?:().,'+ ]/;

/** Words of the SEPA set (and `_`, spelled `-`) separated by single spaces: nothing to transliterate or collapse. */
const PLAIN = /^[A-Za-z0-9/\-?:().,'+_]+(?: [A-Za-z0-9/\-?:().,'+_]+)*$/;

/** `text` in the SEPA character set, whitespace collapsed, at most `maxLength` characters. */
export function toSepaText(text: string, maxLength: number): string {
  // Most names and every reference Coinstile writes are plain already (a bank file holds thousands).
  if (PLAIN.test(text)) return text.replace(/_/g, '-').slice(0, maxLength).trim();
  let out = '';
  for (const ch of text.normalize('NFD')) {
    if (/\p{M}/u.test(ch)) continue;
    const spelled = SPELLED[ch];
    if (spelled !== undefined) out += spelled;
    else out += ALLOWED.test(ch) ? ch : ' ';
  }
  return out.replace(/\s+/g, ' ').trim().slice(0, maxLength).trim();
}

/** True when `text` has at least one letter or digit left after `toSepaText`. */
export function isMeaningfulSepaText(text: string): boolean {
  return /[A-Za-z0-9]/.test(text);
}

/**
 * Ids in the file (MsgId, PmtInfId, EndToEndId): Coinstile ids are `prefix_BASE32`, and `_` is outside
 * the SEPA set, so it is written as `-` (ids never contain `-`, so the mapping reverses exactly).
 */
export const idToSepa = (id: string): string => id.replace('_', '-');
export const idFromSepa = (text: string): string => text.replace('-', '_');
