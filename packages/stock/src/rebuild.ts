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

export interface RebuildOptions {
  /**
   * The highest position the caller knows was handed out (positions still on their way through Kafka are not
   * in MySQL), so new admissions do not reuse them.
   */
  minPosition?: number;
  /** Replace a state that is there: it is stale (Redis went back in time; MySQL's watermark says so). */
  force?: boolean;
  /** With `force`: the epoch found stale; a state rebuilt meanwhile (another epoch) is kept. */
  staleEpoch?: string;
  /**
   * Hold the gate from this time (ms) until every position still in Kafka is known (hold.lua). Every rebuild
   * after a loss or a stale state does; only a new event's first state has nothing in flight.
   */
  heldSinceMs?: number;
}

/**
 * Rebuilds one event's hot state from MySQL's truth after Redis lost it (flushed, restarted empty) or went back
 * in time (`force`): MySQL's count of what is issued, and every decision made, so a redelivered application
 * gets the same answer and nobody applies twice; entries MySQL does not hold yet are kept (rebuild.lua). One
 * Redis call, made inside MySQL's snapshot under the event's row lock (mysql.ts: the rebuild race), so no
 * decision committed meanwhile is left out of `issued`, and no reader sees decisions without their counters.
 */
export async function rebuildEventState(
  deps: RebuildDeps,
  eventId: string,
  { minPosition = 0, force = false, staleEpoch, heldSinceMs }: RebuildOptions = {},
): Promise<RebuildOutcome> {
  const keys = eventKeys(deps.prefix, eventId);
  if (!force && (await deps.redis.hexists(keys.state, 'ready')) === 1) return 'present';
  const written = await withEventSnapshot(deps.sequelize, eventId, async (snapshot) => {
    const { entries, state } = rebuiltState(snapshot, minPosition);
    const written = await deps.scripts.rebuild(keys, { ...state, heldSinceMs }, entries, { force, staleEpoch });
    // Claim windows: back on the issuers' deadline poller's list (a key outside the event's slot).
    if (written && state.claimWindowSeconds > 0) await deps.redis.sadd(claimEventsKey(deps.prefix), eventId);
    return written;
  });
  if (written === undefined) return 'not-found';
  return written ? 'rebuilt' : 'present';
}

/**
 * The Redis form of a snapshot: every decision's entry (and a waiting room's WAITING), MySQL's counters and the
 * lowest `seq` allowed.
 */
function rebuiltState({ event, decisions, waitingRoom }: EventSnapshot, minPosition: number) {
  const decidedThrough = Number(event.decided_through);
  let lastPosition = Math.max(minPosition, decidedThrough);
  const entries = decisions.map((row) => {
    const app = storedDecision(row);
    lastPosition = Math.max(lastPosition, app.position);
    return { participantId: String(row.participant_id), entry: formatEntry(app) };
  });
  const room = waitingRoomState(waitingRoom);
  entries.push(...room.entries);
  lastPosition = Math.max(lastPosition, room.lastPosition);
  const state = {
    epoch: newEpoch(),
    stock: event.stock,
    status: event.status,
    opensAtMs: time(event.opens_at),
    closesAtMs: time(event.closes_at),
    lastPosition,
    issued: Number(event.issued),
    decidedThrough,
    waitingRoomOpensAtMs: time(event.waiting_room_opens_at),
    drawn: room.drawn,
    claimWindowSeconds: Number(event.claim_window_seconds ?? 0),
    maxOpenOffers: Number(event.max_open_offers ?? 0),
  };
  return { entries, state };
}

/**
 * The waiting room's share of a rebuild: before its draw is placed, everyone told WAITING (and not decided) is
 * WAITING again, for the drawer to place; a recorded draw keeps its positions (1..W) from being handed out again.
 * Once placed, those not yet decided are PENDING with their records in Kafka, as any admission Redis lost (an entry
 * Redis holds stays; a WAITING one left is removed: rebuild.lua).
 */
function waitingRoomState(room: EventSnapshot['waitingRoom']) {
  if (room === undefined) return { entries: [], lastPosition: 0, drawn: false };
  const drawn = room.draw?.placed === true;
  const entries = drawn
    ? []
    : room.waiting.map((w) => ({
        participantId: String(w.participant_id),
        entry: formatEntry({
          status: ApplicationStatus.APPLICATION_STATUS_WAITING,
          position: 0,
          appliedAtMs: w.arrived_at.getTime(),
          decidedAtMs: undefined,
          giftCode: undefined,
        }),
      }));
  return { entries, lastPosition: room.draw?.waitingCount ?? 0, drawn };
}
