/**
 * Where one event's line lives in Redis. Every key of an event shares the hash tag `{<event id>}`, so each
 * script touches one slot and runs unchanged on Redis Cluster. The prefix isolates deployments and tests.
 */
export interface EventKeys {
  /** Hash: ready, epoch, stock, status, opensAt, closesAt, seq, admitted, released, pending, issued, soldout, through. */
  state: string;
  /** Hash: participant id -> stored application (see entry.ts). */
  apps: string;
  /** Sorted set: the PENDING admissions (participant id, scored by position), for `ahead` and the issuer's rank. */
  line: string;
  /** Pub/sub channel: protobuf WatchEventResponse messages (decisions, progress). */
  channel: string;
  /** Counter of applies in one second (epoch seconds), kept a few seconds. */
  rate(second: number): string;
  /**
   * Counter of the line's moves (decisions, claims, expiries) in one tenth of a second (epoch ms / 100), kept a few
   * seconds: fine enough that a line decided in a burst is read at the pace it went (pace.ts).
   */
  decisions(tenth: number): string;
  /** Claim windows: counter of items passed down to a waitlisted participant in one tenth of a second (ms / 100). */
  passes(tenth: number): string;
  /** Claim windows: sorted set of WAITLISTED participant ids by position. */
  waitlist: string;
  /** Claim windows: sorted set of OFFERED participant ids by claim deadline (ms), re-armed by due.lua. */
  due: string;
}

export function eventKeys(prefix: string, eventId: string): EventKeys {
  const base = `${prefix}ev:{${eventId}}`;
  return {
    state: `${base}:state`,
    apps: `${base}:apps`,
    line: `${base}:line`,
    channel: `${base}:watch`,
    rate: (second) => `${base}:aps:${second}`,
    decisions: (tenth) => `${base}:dpt:${tenth}`,
    passes: (tenth) => `${base}:ppt:${tenth}`,
    waitlist: `${base}:wl`,
    due: `${base}:due`,
  };
}

/** The event id of a channel made by eventKeys, or undefined. */
export function eventIdOfChannel(prefix: string, channel: string): string | undefined {
  if (!channel.startsWith(`${prefix}ev:{`) || !channel.endsWith('}:watch')) return undefined;
  return channel.slice(prefix.length + 4, -7);
}

/** Set of the ids of events with a claim window, whose deadlines every issuer replica polls (claims/). */
export function claimEventsKey(prefix: string): string {
  return `${prefix}claims:events`;
}
