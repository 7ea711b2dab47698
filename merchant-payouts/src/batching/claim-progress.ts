/** How far `createBatches` has got, for submit workers that wait for its next batch. */
export class ClaimProgress {
  #generation = 0;
  #finished = false;
  #waiters: (() => void)[] = [];

  /** Counts up on every batch created and when claiming ends. */
  get generation(): number {
    return this.#generation;
  }

  get finished(): boolean {
    return this.#finished;
  }

  advance(): void {
    this.#generation += 1;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  finish(): void {
    this.#finished = true;
    this.advance();
  }

  /** Resolves once `generation` is past `seen` (at once if it is already). */
  changedSince(seen: number): Promise<void> {
    if (this.#generation !== seen) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
