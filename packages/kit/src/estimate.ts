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
 * Seconds until a participant in the waiting room is decided: until the opening, then the wait of the middle place
 * of the room (the draw is uniform, so a participant's median place is (waiting + 1) / 2). `room` is how many of the
 * drawn go into the line to be decided there; the places beyond it are decided at the placement itself (SOLD_OUT at
 * the gate, an event without a claim window), so a middle place beyond the room waits only for the opening.
 * `room` undefined: every place goes into the line (a claim window waitlists those beyond the stock there).
 */
export function estimateWaitingSeconds(untilOpenMs: number, waiting: number, pace: number, room?: number): number | undefined {
  const middle = (waiting + 1) / 2;
  const untilOpen = Math.max(0, untilOpenMs) / 1000;
  if (room !== undefined && middle > room) return Math.max(0, Math.ceil(untilOpen));
  if (!(pace > 0) || !Number.isFinite(middle)) return undefined;
  return Math.ceil(untilOpen + middle / pace);
}

/** Seconds until the last of `undecided` positions now in line is decided; undefined when the line is empty or the pace unknown. */
export function estimateDrainSeconds(undecided: number, pace: number): number | undefined {
  if (undecided <= 0) return undefined;
  return estimateWaitSeconds(undecided - 1, pace);
}

/**
 * Seconds until a WAITLISTED participant (claim windows) is offered an item: the `ahead` waitlisted before it take
 * one each first, and items pass down at `passPace` a second (offers declined or run out). Never sooner than
 * `soonestInMs`, when known: when enough of the offers open now would have ended for an item to reach it, had none
 * of them been claimed (a claim only makes it later). Undefined when neither is known.
 */
export function estimateWaitlistedSeconds(ahead: number, passPace: number, soonestInMs?: number): number | undefined {
  const byPace = passPace > 0 && Number.isFinite(ahead) && ahead >= 0 ? (ahead + 1) / passPace : undefined;
  const byDeadline = soonestInMs === undefined ? undefined : Math.max(0, soonestInMs) / 1000;
  if (byPace === undefined && byDeadline === undefined) return undefined;
  return Math.ceil(Math.max(byPace ?? 0, byDeadline ?? 0));
}
