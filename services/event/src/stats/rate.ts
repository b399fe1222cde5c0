import { eventKeys } from '@fcfs/stock';
import type { Redis } from 'ioredis';

/**
 * Applies per second of one event: the last full second's counter, which the gate (admit.lua) keeps in Redis.
 * (Decisions per second are the line's pace: `readLinePace` of @fcfs/stock.)
 */
export async function appliesPerSecond(redis: Redis, prefix: string, eventId: string, nowMs: number): Promise<number> {
  const second = Math.floor(nowMs / 1000) - 1;
  return Number((await redis.get(eventKeys(prefix, eventId).rate(second))) ?? 0);
}
