/** Cryptographically secure randomness. Core has none of its own (no Node APIs). */
export interface RandomSource {
  /** `length` fresh unpredictable bytes (e.g. `crypto.randomBytes`). */
  bytes(length: number): Uint8Array;
}
