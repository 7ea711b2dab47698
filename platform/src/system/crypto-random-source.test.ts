import { cryptoRandomSource } from './crypto-random-source';

describe('cryptoRandomSource', () => {
  it('hands out bytes of the asked length, each slice its own copy, across pool refills and beyond the block size', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i += 1) {
      const bytes = cryptoRandomSource.bytes(10);
      expect(bytes).toHaveLength(10);
      const hex = Buffer.from(bytes).toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
      // A copy, not a view of the 4 KiB pool: no caller can reach bytes handed to another.
      expect(bytes.buffer.byteLength).toBe(10);
    }
    expect(cryptoRandomSource.bytes(10_000)).toHaveLength(10_000);
    expect(Buffer.from(cryptoRandomSource.bytes(32)).equals(Buffer.alloc(32))).toBe(false);
  });
});
