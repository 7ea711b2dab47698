import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SourceId } from '../observation';
import type { RefreshLease } from '../refresh/refresh-scheduler';

/** `RefreshLease` on Redis: one `SET … NX PX` key per source, beside the observations it guards. */
export class RedisRefreshLease implements RefreshLease {
  private readonly owner = randomUUID();

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async tryAcquire(source: SourceId, ttlMs: number): Promise<boolean> {
    const reply = await this.redis.set(`${this.keyPrefix}fx:refresh-lease:${source}`, this.owner, 'PX', ttlMs, 'NX');
    return reply === 'OK';
  }
}
