import { estimateWaitingSeconds, estimateWaitlistedSeconds, estimateWaitSeconds } from '@fcfs/kit';
import { ApplicationStatus, type Application } from '@fcfs/proto';
import { readPassPace, readPace, type EventKeys, type HotState } from '@fcfs/stock';
import type { Redis } from 'ioredis';

/** What an estimate reads about the line: its pace, and for a WAITLISTED one its place in the waitlist. */
export interface LineReader {
  /** The line's pace (decisions, claims, expiries per second; the platform's peak while it has not moved). */
  pace(): Promise<number>;
  /**
   * Claim windows: the WAITLISTED before `position`, items passed down per second lately, and when the item for it
   * could come at the soonest (ms), were no open offer claimed: with `ahead` before it and n offers open, the
   * (ahead mod n + 1)-th earliest deadline, plus a window for each full round of the open offers before that.
   */
  waitlist(position: number, windowMs: number): Promise<{ ahead: number; passPace: number; soonestMs: number | undefined }>;
}

/** The line reader over one event's keys in Redis, at one moment. */
export function lineReader(redis: Redis, prefix: string, keys: EventKeys, nowMs: number): LineReader {
  let pace: Promise<number> | undefined;
  return {
    // Read once per reader: a batch of WAITING answers shares it.
    pace: () => (pace ??= readPace(redis, prefix, keys, nowMs)),
    async waitlist(position, windowMs) {
      const [ahead, open, passPace] = await Promise.all([
        redis.zcount(keys.waitlist, '-inf', `(${position}`),
        redis.zcard(keys.due),
        readPassPace(redis, keys, nowMs),
      ]);
      if (open === 0) return { ahead, passPace, soonestMs: undefined };
      const [, deadline] = await redis.zrange(keys.due, ahead % open, ahead % open, 'WITHSCORES');
      const soonestMs = deadline === undefined ? undefined : Number(deadline) + Math.floor(ahead / open) * windowMs;
      return { ahead, passPace, soonestMs };
    },
  };
}

/**
 * An application with its estimated wait (issue #17), from the line's pace (`@fcfs/stock` pace.ts): PENDING from
 * `ahead`; WAITING from the time to the opening and the middle place of the room (beyond the room the gate has, a
 * place is decided at the placement); WAITLISTED from its place in the waitlist and the pace items pass down, never
 * sooner than the open offers could end. Decided ones need none, and the line is read only when an estimate is wanted.
 */
export async function withEstimate(
  app: Application,
  hot: Pick<HotState, 'opensAtMs' | 'waiting' | 'stock' | 'admitted' | 'released' | 'claimWindowSeconds'>,
  line: LineReader,
  nowMs: number,
): Promise<Application> {
  if (app.status === ApplicationStatus.APPLICATION_STATUS_PENDING) {
    const linePace = await line.pace();
    return { ...app, linePace, estimatedWaitSeconds: estimateWaitSeconds(app.ahead ?? 0, linePace) };
  }
  if (app.status === ApplicationStatus.APPLICATION_STATUS_WAITING) {
    const linePace = await line.pace();
    const untilOpen = (hot.opensAtMs ?? nowMs) - nowMs;
    // Without a claim window the gate admits up to the stock and answers the rest SOLD_OUT at placement (place.lua).
    const room = hot.claimWindowSeconds > 0 ? undefined : Math.max(0, hot.stock - (hot.admitted - hot.released));
    return { ...app, linePace, estimatedWaitSeconds: estimateWaitingSeconds(untilOpen, hot.waiting, linePace, room) };
  }
  if (app.status === ApplicationStatus.APPLICATION_STATUS_WAITLISTED) {
    const { ahead, passPace, soonestMs } = await line.waitlist(app.position, hot.claimWindowSeconds * 1000);
    const soonestIn = soonestMs === undefined ? undefined : soonestMs - nowMs;
    return { ...app, estimatedWaitSeconds: estimateWaitlistedSeconds(ahead, passPace, soonestIn) };
  }
  return app;
}
