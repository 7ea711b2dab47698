import { randomBytes } from 'node:crypto';
import type { RandomSource } from '@coinstile/core';

/** Randomness from the operating system's CSPRNG. */
export const cryptoRandomSource: RandomSource = {
  bytes: (length) => randomBytes(length),
};
