/**
 * The output-descriptor checksum of Bitcoin Core (`DescriptorChecksum` in `src/script/descriptor.cpp`):
 * a BCH code over GF(32) that detects up to 4 errors in descriptors up to 501 characters. The same in
 * Litecoin Core.
 */
const INPUT_CHARSET =
  '0123456789()[],\'/*abcdefgh@:$%{}' + 'IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~' + 'ijklmnopqrstuvwxyzABCDEFGH`#"\\ ';
const CHECKSUM_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0xf5dee51989n, 0xa9fdca3312n, 0x1bab10e32dn, 0x3706b1677an, 0x644d626ffdn] as const;

function polyMod(c: bigint, value: number): bigint {
  const c0 = Number(c >> 35n);
  let next = ((c & 0x7ffffffffn) << 5n) ^ BigInt(value);
  for (let bit = 0; bit < 5; bit += 1) {
    if ((c0 >> bit) & 1) next ^= GENERATOR[bit]!;
  }
  return next;
}

/** The 8-character checksum of `descriptor` (without `#`), or `undefined` if it has a character outside the charset. */
export function descriptorChecksum(descriptor: string): string | undefined {
  let c = 1n;
  let cls = 0;
  let clsCount = 0;
  for (const ch of descriptor) {
    const pos = INPUT_CHARSET.indexOf(ch);
    if (pos < 0) return undefined;
    c = polyMod(c, pos & 31);
    cls = cls * 3 + (pos >> 5);
    clsCount += 1;
    if (clsCount === 3) {
      c = polyMod(c, cls);
      cls = 0;
      clsCount = 0;
    }
  }
  if (clsCount > 0) c = polyMod(c, cls);
  for (let j = 0; j < 8; j += 1) c = polyMod(c, 0);
  c ^= 1n;
  let out = '';
  for (let j = 0; j < 8; j += 1) out += CHECKSUM_CHARSET[Number((c >> BigInt(5 * (7 - j))) & 31n)];
  return out;
}

/** `descriptor#checksum`. */
export function withDescriptorChecksum(descriptor: string): string {
  const checksum = descriptorChecksum(descriptor);
  if (checksum === undefined) throw new RangeError('descriptor has a character outside the descriptor charset');
  return `${descriptor}#${checksum}`;
}
