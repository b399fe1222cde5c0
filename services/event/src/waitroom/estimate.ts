import { estimateWaitingSeconds, estimateWaitSeconds } from '@fcfs/kit';
import { ApplicationStatus, type Application } from '@fcfs/proto';
import type { HotState } from '@fcfs/stock';

/**
 * An application with its estimated wait (issue #17), from the line's pace (`@fcfs/stock` pace.ts): PENDING from
 * `ahead`; WAITING from the time to the opening and the middle of the waiting room. Decided ones need none, and
 * the pace is read only when an estimate is wanted.
 */
export async function withEstimate(
  app: Application,
  hot: Pick<HotState, 'opensAtMs' | 'waiting'>,
  pace: () => Promise<number>,
  nowMs: number,
): Promise<Application> {
  if (app.status === ApplicationStatus.APPLICATION_STATUS_PENDING) {
    const linePace = await pace();
    return { ...app, linePace, estimatedWaitSeconds: estimateWaitSeconds(app.ahead ?? 0, linePace) };
  }
  if (app.status === ApplicationStatus.APPLICATION_STATUS_WAITING) {
    const linePace = await pace();
    const untilOpen = (hot.opensAtMs ?? nowMs) - nowMs;
    return { ...app, linePace, estimatedWaitSeconds: estimateWaitingSeconds(untilOpen, hot.waiting, linePace) };
  }
  return app;
}
