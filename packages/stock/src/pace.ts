import type { Redis } from 'ioredis';
import type { EventKeys } from './keys';

/**
 * The line's pace (issue #17): positions settled per second, from the counters `<event>:dpt:<tenth>` of moves per
 * tenth of a second (kept 10 s), read over the last PACE_WINDOW_MS. decide.lua and claims.lua count their moves
 * there (decisions, claims, expiries); whatever else moves the line feeds the same counter with `countLineMoves`, so
 * every estimate reads one number. Tenths, not seconds: a drawn line of a thousand is decided in a tenth or two, and
 * per-second counters read such a burst as a thousand a second, a tenth of the pace it went.
 */
export const PACE_WINDOW_MS = 5_000;
export const PACE_BUCKET_MS = 100;
const PACE_BUCKETS = PACE_WINDOW_MS / PACE_BUCKET_MS;

/** Adds `n` line moves at `nowMs` (for parts other than decide.lua and claims.lua, which count their own). */
export async function countLineMoves(redis: Redis, keys: EventKeys, n: number, nowMs: number): Promise<void> {
  if (n <= 0) return;
  const key = keys.decisions(Math.floor(nowMs / PACE_BUCKET_MS));
  await redis.multi().incrby(key, n).pexpire(key, 10_000).exec();
}

/**
 * Moves per second over the last full buckets of the window (`bucketMs` each, oldest first), counted from the first
 * bucket that had any (a line that started 2 s ago is not diluted by 3 idle seconds before it); that first bucket is
 * likely a part of one (the line started within it), so it is left out when the line moved in the next one too.
 * 0: nothing moved lately.
 */
export function paceOf(counts: readonly number[], bucketMs = PACE_BUCKET_MS): number {
  let first = counts.findIndex((n) => n > 0);
  if (first < 0) return 0;
  if ((counts[first + 1] ?? 0) > 0) first++;
  const moved = counts.slice(first).reduce((a, b) => a + b, 0);
  return moved / (((counts.length - first) * bucketMs) / 1000);
}

/** The last PACE_WINDOW_MS of one of an event's per-tenth counters, oldest first, ending with the last full tenth. */
function windowKeys(counter: (tenth: number) => string, nowMs: number): string[] {
  const last = Math.floor(nowMs / PACE_BUCKET_MS) - 1;
  return Array.from({ length: PACE_BUCKETS }, (_, i) => counter(last - PACE_BUCKETS + 1 + i));
}

/**
 * Where the platform keeps the fastest pace it observed lately (a day): the prior for a line that has not moved yet.
 * The fastest, because a line that just opened (a waiting room's draw placed thousands at once) is decided as fast
 * as the issuer goes, and the issuer's fastest observed pace is the best guess of that.
 */
const peakPaceKey = (prefix: string) => `${prefix}pace:peak`;

/**
 * The event's pace now; while its line has not moved (before the opening, or the first decisions), the platform's
 * peak pace, so a waiting room's estimate has a basis. 0: nothing known.
 */
export async function readPace(redis: Redis, prefix: string, keys: EventKeys, nowMs: number): Promise<number> {
  const { pace, peak } = await readLinePace(redis, prefix, keys, nowMs);
  return pace > 0 ? pace : peak;
}

/**
 * The event's own pace (0 when its line did not move lately: `decisionsPerSecond`) and the platform's peak, which
 * this read raises when the event's pace passed it. Every reader (status reads, the organiser's live counters)
 * thereby keeps the peak.
 */
export async function readLinePace(
  redis: Redis,
  prefix: string,
  keys: EventKeys,
  nowMs: number,
): Promise<{ pace: number; peak: number }> {
  const values = await redis.mget(...windowKeys(keys.decisions, nowMs), peakPaceKey(prefix));
  const pace = paceOf(values.slice(0, PACE_BUCKETS).map((v) => Number(v ?? 0)));
  const peak = Number(values[PACE_BUCKETS] ?? 0);
  if (pace <= peak) return { pace, peak };
  await redis.set(peakPaceKey(prefix), pace.toFixed(3), 'EX', 86_400);
  return { pace, peak: pace };
}

/**
 * Claim windows: items passed down to the waitlist per second lately (an offer ended and the earliest WAITLISTED
 * took what it freed), the pace a WAITLISTED participant's estimate reads. 0: none passed lately.
 */
export async function readPassPace(redis: Redis, keys: EventKeys, nowMs: number): Promise<number> {
  const values = await redis.mget(...windowKeys(keys.passes, nowMs));
  return paceOf(values.map((v) => Number(v ?? 0)));
}
