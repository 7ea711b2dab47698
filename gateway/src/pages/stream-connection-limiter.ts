/**
 * Bounds the live streams this process holds open: per client IP (one shopper's tabs, or a NAT of them)
 * and in total, so open connections cannot exhaust sockets or memory.
 */
export class StreamConnectionLimiter {
  readonly #perIp = new Map<string, number>();
  #total = 0;

  constructor(
    readonly maxPerIp: number,
    readonly maxTotal: number,
  ) {}

  get openCount(): number {
    return this.#total;
  }

  /** A release function when `ip` may open one more stream (call it exactly once when it ends), else null. */
  tryAcquire(ip: string): (() => void) | null {
    const current = this.#perIp.get(ip) ?? 0;
    if (current >= this.maxPerIp || this.#total >= this.maxTotal) return null;
    this.#perIp.set(ip, current + 1);
    this.#total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total -= 1;
      const left = (this.#perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.#perIp.delete(ip);
      else this.#perIp.set(ip, left);
    };
  }
}
