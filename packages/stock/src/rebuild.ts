import { randomBytes } from 'node:crypto';
import { ApplicationStatus } from '@fcfs/proto';
import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import { formatEntry } from './entry';
import { claimEventsKey, eventKeys } from './keys';
import { storedDecision, withEventSnapshot, type EventSnapshot } from './mysql';
import type { StockScripts } from './scripts';

export interface RebuildDeps {
  redis: Redis;
  scripts: StockScripts;
  sequelize: Sequelize;
  prefix: string;
}

export type RebuildOutcome = 'rebuilt' | 'present' | 'not-found';

export function newEpoch(): string {
  return randomBytes(6).toString('hex');
}

const time = (d: Date | null) => (d === null ? undefined : d.getTime());

/**
 * Rebuilds one event's hot state from MySQL's truth after Redis lost it (flushed, restarted empty): the
 * stock less what is issued, and every decision made, so a redelivered application gets the same answer
 * and nobody applies twice. The Redis write happens inside MySQL's snapshot, under the event's row lock
 * (mysql.ts: the rebuild race), so no decision committed meanwhile is left out of `issued`.
 * `minPosition`: the highest position the caller knows was handed out (positions still on their way
 * through Kafka are not in MySQL), so new admissions do not reuse them.
 */
export async function rebuildEventState(deps: RebuildDeps, eventId: string, minPosition = 0): Promise<RebuildOutcome> {
  const keys = eventKeys(deps.prefix, eventId);
  if ((await deps.redis.hexists(keys.state, 'ready')) === 1) return 'present';
  const written = await withEventSnapshot(deps.sequelize, eventId, async (snapshot) => {
    const { entries, state, waitlist, due } = rebuiltState(snapshot, minPosition);
    await deps.scripts.restore(keys, entries);
    if (state.claimWindowSeconds > 0) await restoreClaims(deps, keys, eventId, waitlist, due);
    return deps.scripts.rebuild(keys, state);
  });
  if (written === undefined) return 'not-found';
  return written ? 'rebuilt' : 'present';
}

/**
 * Claim windows: the waitlist (by position) and the offers' deadlines, written before the state's `ready`
 * opens it, and the event put back on the deadline poller's list.
 */
async function restoreClaims(
  deps: RebuildDeps,
  keys: ReturnType<typeof eventKeys>,
  eventId: string,
  waitlist: (string | number)[],
  due: (string | number)[],
): Promise<void> {
  const CHUNK = 10_000; // score-member pairs: 5,000 members a command
  for (let i = 0; i < waitlist.length; i += CHUNK) await deps.redis.zadd(keys.waitlist, ...waitlist.slice(i, i + CHUNK));
  for (let i = 0; i < due.length; i += CHUNK) await deps.redis.zadd(keys.due, ...due.slice(i, i + CHUNK));
  await deps.redis.sadd(claimEventsKey(deps.prefix), eventId);
}

/** The Redis form of a snapshot: every decision's entry and the counters over them. */
function rebuiltState({ event, decisions }: EventSnapshot, minPosition: number) {
  let issued = 0;
  let soldOut = 0;
  let lastPosition = minPosition;
  let decidedThrough = 0;
  const claims = { offered: 0, waitlisted: 0, expired: 0 };
  const waitlist: (string | number)[] = [];
  const due: (string | number)[] = [];
  const entries = decisions.map((row) => {
    const app = storedDecision(row);
    const id = String(row.participant_id);
    if (app.status === ApplicationStatus.APPLICATION_STATUS_ISSUED) issued++;
    else if (app.status === ApplicationStatus.APPLICATION_STATUS_OFFERED) {
      claims.offered++;
      due.push(app.claimByMs ?? 0, id);
    } else if (app.status === ApplicationStatus.APPLICATION_STATUS_WAITLISTED) {
      claims.waitlisted++;
      waitlist.push(app.position, id);
    } else if (app.status === ApplicationStatus.APPLICATION_STATUS_EXPIRED) claims.expired++;
    else soldOut++;
    lastPosition = Math.max(lastPosition, app.position);
    decidedThrough = Math.max(decidedThrough, app.position);
    return { participantId: String(row.participant_id), entry: formatEntry(app) };
  });
  const state = {
    epoch: newEpoch(),
    stock: event.stock,
    status: event.status,
    opensAtMs: time(event.opens_at),
    closesAtMs: time(event.closes_at),
    lastPosition,
    issued,
    soldOut,
    decidedThrough,
    claimWindowSeconds: event.claim_window_seconds ?? 0,
    maxOpenOffers: event.max_open_offers ?? 0,
    ...claims,
  };
  return { entries, state, waitlist, due };
}
