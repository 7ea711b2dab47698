import { randomBytes } from 'node:crypto';
import type { RandomSource } from '@coinstile/core';

/**
 * `crypto.randomBytes` drawn in 4 KiB blocks: the same CSPRNG output, without a system call for every
 * 10-byte id (which costs more than the rest of making the id).
 */
export class PooledRandomSource implements RandomSource {
  private pool = Buffer.alloc(0);
  private offset = 0;

  constructor(private readonly blockSize = 4096) {}

  bytes(length: number): Uint8Array {
    if (length > this.blockSize) return randomBytes(length);
    if (this.offset + length > this.pool.length) {
      this.pool = randomBytes(this.blockSize);
      this.offset = 0;
    }
    // A copy, so no caller can see or keep a view into bytes handed to another.
    const bytes = Uint8Array.prototype.slice.call(this.pool, this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }
}
