/**
 * When the notifier may claim rows: result e-mails are background work and yield to the line. While the
 * issuer is deciding (it committed a chunk within the last `quietMs`) the notifier claims nothing new,
 * except a trickle of at least `minRateWhileBusy` rows a second, so a line that never goes quiet cannot
 * starve the e-mails. Plain data and a clock value, so the rule is tested without timers.
 */
export interface LineGateLimits {
  quietMs: number;
  minRateWhileBusy: number;
}

export interface LineGateState {
  /** When the line last committed decisions (0: never). */
  busyAt: number;
  /** The trickle's clock: one row is due every 1000 / minRateWhileBusy ms after it. */
  trickleAt: number;
}

export type ClaimGate =
  /** The line is quiet: claim at full rate. */
  | { kind: 'open' }
  /** The line is busy but the trickle is due: claim up to `rows`, then keep `state`. */
  | { kind: 'trickle'; rows: number; state: LineGateState }
  /** Claim nothing; look again in `waitMs` (when the line turns quiet or the next trickle row is due). */
  | { kind: 'closed'; waitMs: number };

export const initialLineGate: LineGateState = { busyAt: 0, trickleAt: 0 };

export function gateClaim(state: LineGateState, now: number, { quietMs, minRateWhileBusy }: LineGateLimits): ClaimGate {
  const quietIn = state.busyAt + quietMs - now;
  if (quietIn <= 0) return { kind: 'open' };
  const intervalMs = 1000 / minRateWhileBusy;
  // The trickle saves up at most one second's worth (at least one row) while the line was quiet.
  const cap = Math.max(1, Math.floor(minRateWhileBusy));
  const from = Math.max(state.trickleAt, now - cap * intervalMs);
  const rows = Math.floor((now - from) / intervalMs);
  if (rows >= 1) return { kind: 'trickle', rows, state: { busyAt: state.busyAt, trickleAt: from + rows * intervalMs } };
  return { kind: 'closed', waitMs: Math.ceil(Math.min(quietIn, from + intervalMs - now)) };
}
