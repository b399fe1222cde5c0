import { eventKeys } from '@fcfs/stock';
import type { Redis } from 'ioredis';

/**
 * Applies and decisions per second of one event: the last full second's counters, which the gate
 * (admit.lua) and the issuer (decide.lua) keep in Redis.
 */
export async function ratesPerSecond(
  redis: Redis,
  prefix: string,
  eventId: string,
  nowMs: number,
): Promise<{ applies: number; decisions: number }> {
  const second = Math.floor(nowMs / 1000) - 1;
  const keys = eventKeys(prefix, eventId);
  const [applies, decisions] = await redis.mget(keys.rate(second), keys.decisions(second));
  return { applies: Number(applies ?? 0), decisions: Number(decisions ?? 0) };
}
