/**
 * Estimated waits from the line's pace (issue #17), as plain arithmetic: the event service answers them in reads,
 * and the BFF keeps a live subscription's estimate current as `ahead` falls, with the same formulas.
 * `pace` is positions of the line settled per second (decisions; claims and expiries once they move the line);
 * 0 means unknown, and every estimate is then undefined rather than a guess.
 */

/** Seconds until an application with `ahead` undecided before it is decided itself. */
export function estimateWaitSeconds(ahead: number, pace: number): number | undefined {
  if (!(pace > 0) || !Number.isFinite(ahead) || ahead < 0) return undefined;
  return Math.ceil((ahead + 1) / pace);
}

/**
 * Seconds until a participant in the waiting room is decided: until the opening, then the expected place among the
 * `waiting` (the draw is uniform, so the middle of the room: (waiting + 1) / 2) at the pace.
 */
export function estimateWaitingSeconds(untilOpenMs: number, waiting: number, pace: number): number | undefined {
  const inLine = estimateWaitSeconds(Math.max(0, (waiting + 1) / 2 - 1), pace);
  return inLine === undefined ? undefined : Math.max(0, Math.ceil(untilOpenMs / 1000)) + inLine;
}

/** Seconds until the last of `undecided` positions now in line is decided; undefined when the line is empty or the pace unknown. */
export function estimateDrainSeconds(undecided: number, pace: number): number | undefined {
  if (undecided <= 0) return undefined;
  return estimateWaitSeconds(undecided - 1, pace);
}
