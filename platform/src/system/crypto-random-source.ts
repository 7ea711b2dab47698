import { randomBytes } from 'node:crypto';
import type { RandomSource } from '@coinstile/core';

/** Bytes drawn from the CSPRNG at a time. */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * Randomness from the operating system's CSPRNG, drawn in 4 KiB blocks: the same output without a system
 * call for every 10-byte id, which costs more than the rest of making the id (about 2 s of 100,000 payouts
 * in bench/bank-files.ts). Each caller gets a copy of its own slice, never a view into bytes handed to another.
 */
export const cryptoRandomSource: RandomSource = {
  bytes(length: number): Uint8Array {
    if (length > POOL_BYTES) return randomBytes(length);
    if (offset + length > pool.length) {
      pool = randomBytes(POOL_BYTES);
      offset = 0;
    }
    const bytes = Uint8Array.prototype.slice.call(pool, offset, offset + length);
    offset += length;
    return bytes;
  },
};
