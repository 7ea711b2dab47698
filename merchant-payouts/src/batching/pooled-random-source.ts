import type { RandomSource } from '@coinstile/core';

/** Bytes drawn from the underlying source at a time. */
const POOL_BYTES = 4096;

/**
 * A `RandomSource` that draws from `source` in blocks of 4 KiB and hands out disjoint slices of each
 * block. A payout batch books a posting, and so takes a fresh id, per payout: one CSPRNG call per id
 * cost about 2 s of 100,000 payouts (bench/bank-files.ts), one per 4 KiB costs nothing. The bytes are
 * the source's own, never handed out twice.
 */
export function pooledRandomSource(source: RandomSource): RandomSource {
  let pool: Uint8Array = new Uint8Array(0);
  let offset = 0;
  return {
    bytes(length: number): Uint8Array {
      if (length > POOL_BYTES) return source.bytes(length);
      if (offset + length > pool.length) {
        pool = source.bytes(POOL_BYTES);
        offset = 0;
      }
      const slice = pool.subarray(offset, offset + length);
      offset += length;
      return slice;
    },
  };
}
