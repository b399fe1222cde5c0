import type { Redis } from 'ioredis';
import type { EventKeys } from './keys';

/**
 * The line's pace (issue #17): positions settled per second, from the per-second counters `<event>:dps:<second>`
 * (kept 10 s). decide.lua counts its decisions there; whatever else moves the line (a claim, an expiry passing an
 * item down) feeds the same counter with `countLineMoves`, so every estimate reads one number.
 */
export const PACE_WINDOW_SECONDS = 5;

/** Adds `n` line moves at `nowMs` (for parts other than decide.lua, which counts its own). */
export async function countLineMoves(redis: Redis, keys: EventKeys, n: number, nowMs: number): Promise<void> {
  if (n <= 0) return;
  const key = keys.decisions(Math.floor(nowMs / 1000));
  await redis.multi().incrby(key, n).pexpire(key, 10_000).exec();
}

/**
 * Moves per second over the last full seconds of the window, counted from the first second that had any (a line
 * that started 2 s ago is not diluted by 3 idle seconds before it); that first second is likely a part of one (the
 * line started within it), so it is left out when the line moved in the next one too. 0: nothing moved lately.
 */
export function paceOf(counts: readonly number[]): number {
  let first = counts.findIndex((n) => n > 0);
  if (first < 0) return 0;
  if ((counts[first + 1] ?? 0) > 0) first++;
  const moved = counts.slice(first).reduce((a, b) => a + b, 0);
  return moved / (counts.length - first);
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
  const last = Math.floor(nowMs / 1000) - 1;
  const seconds = Array.from({ length: PACE_WINDOW_SECONDS }, (_, i) => keys.decisions(last - PACE_WINDOW_SECONDS + 1 + i));
  const values = await redis.mget(...seconds, peakPaceKey(prefix));
  const pace = paceOf(values.slice(0, PACE_WINDOW_SECONDS).map((v) => Number(v ?? 0)));
  const peak = Number(values[PACE_WINDOW_SECONDS] ?? 0);
  if (pace <= peak) return { pace, peak };
  await redis.set(peakPaceKey(prefix), pace.toFixed(3), 'EX', 86_400);
  return { pace, peak: pace };
}
