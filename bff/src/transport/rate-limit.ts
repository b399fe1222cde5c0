import type { Logger } from '@fcfs/kit';
import type { Redis } from 'ioredis';

/** Adds local counts to the shared per-window counters and answers their new totals. */
export interface CounterStore {
  incrementAll(items: readonly { key: string; by: number }[], ttlMs: number): Promise<number[]>;
}

/** Per client address, per signed-in participant, and one ceiling over every client together. */
export type LimitKind = 'ip' | 'participant' | 'global';

export interface RateLimiterOptions {
  /** Allowed per window (per minute by default); 0 means no limit. */
  limits: Record<LimitKind, number>;
  store: CounterStore;
  keyPrefix: string;
  syncIntervalMs: number;
  logger: Logger;
  windowMs?: number;
  now?: () => number;
}

export interface RateLimiter {
  /** Counts `units` (default one request); answers the seconds to wait when over the limit, else undefined. */
  take(kind: LimitKind, id: string, units?: number): number | undefined;
  /** Merges local counts into the store now (tests and shutdown). */
  sync(): Promise<void>;
  stop(): Promise<void>;
}

interface Counter {
  /** Taken here since the last sync. */
  pending: number;
  /** The shared total at the last sync, this replica's earlier counts included. */
  shared: number;
}

/**
 * Fixed-window rate limits shared across BFF replicas through Redis, without a Redis round
 * trip on the request path: requests are counted locally and decided against the last known
 * shared total plus the local count; every `syncIntervalMs` one pipeline adds the local counts
 * to Redis (INCRBY) and reads the new totals back. Across N replicas a client can exceed its
 * limit by at most what the other replicas admitted within one sync interval. When Redis is
 * unreachable the limits keep holding per replica.
 */
export function createRateLimiter({
  limits,
  store,
  keyPrefix,
  syncIntervalMs,
  logger,
  windowMs = 60_000,
  now = Date.now,
}: RateLimiterOptions): RateLimiter {
  let window = Math.floor(now() / windowMs);
  let counters = new Map<string, Counter>();
  // Counts of the window that just ended, still to be written.
  let closing: { window: number; counters: Map<string, Counter> } | undefined;
  let syncing: Promise<void> | undefined;
  let failing = false;

  const roll = (): void => {
    const current = Math.floor(now() / windowMs);
    if (current === window) return;
    closing = current === window + 1 ? { window, counters } : undefined;
    window = current;
    counters = new Map();
  };

  const write = async (win: number, map: Map<string, Counter>): Promise<void> => {
    const entries = [...map].filter(([, c]) => c.pending > 0);
    if (entries.length === 0) return;
    const items = entries.map(([key, c]) => ({ key: `${keyPrefix}rl:${key}:${win}`, by: c.pending }));
    for (const [, c] of entries) c.pending = 0;
    try {
      const totals = await store.incrementAll(items, windowMs * 2);
      entries.forEach(([, c], i) => {
        const total = totals[i];
        // Our counts since this sync began are in `pending` again; the total has the rest.
        if (total !== undefined && total > c.shared) c.shared = total;
      });
      if (failing) logger.info('rate-limit store reachable again');
      failing = false;
    } catch (err) {
      entries.forEach(([, c], i) => (c.shared += items[i]?.by ?? 0));
      if (!failing) logger.warn({ err: (err as Error).message }, 'rate-limit store unreachable; limiting per replica');
      failing = true;
    }
  };

  const sync = (): Promise<void> => {
    syncing ??= (async () => {
      roll();
      if (closing) {
        const { window: win, counters: map } = closing;
        closing = undefined;
        await write(win, map);
      }
      await write(window, counters);
    })().finally(() => {
      syncing = undefined;
    });
    return syncing;
  };

  const timer = setInterval(() => void sync(), syncIntervalMs);
  timer.unref();

  return {
    take(kind, id, units = 1) {
      const limit = limits[kind];
      if (limit <= 0 || units <= 0) return undefined;
      roll();
      // Ids are addresses and verified participant ids; the cap only keeps a key's size bounded whatever comes.
      const key = `${kind}:${id.slice(0, 64)}`;
      let counter = counters.get(key);
      if (counter === undefined) {
        counter = { pending: 0, shared: 0 };
        counters.set(key, counter);
      }
      if (counter.shared + counter.pending + units > limit) {
        const windowEnd = (window + 1) * windowMs;
        return Math.max(1, Math.ceil((windowEnd - now()) / 1000));
      }
      counter.pending += units;
      return undefined;
    },
    sync,
    async stop() {
      clearInterval(timer);
      await sync();
    },
  };
}

/** The shared counters in Redis: one pipeline of INCRBY + PEXPIRE per sync. */
export function redisCounterStore(redis: Redis): CounterStore {
  return {
    async incrementAll(items, ttlMs) {
      const pipeline = redis.pipeline();
      for (const { key, by } of items) pipeline.incrby(key, by).pexpire(key, ttlMs);
      const results = (await pipeline.exec()) ?? [];
      return items.map((_, i) => {
        const [err, value] = results[i * 2] ?? [new Error('no reply'), null];
        if (err) throw err;
        return Number(value);
      });
    },
  };
}
