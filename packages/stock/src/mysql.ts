import { ApplicationStatus } from '@fcfs/proto';
import { QueryTypes, Transaction, type Sequelize } from 'sequelize';
import type { StoredApplication } from './entry';

// MySQL's side of the stock: its decisions, read one way by a rebuild and by the issuer's read API, and the
// two transactions of the rebuild race.
//
// The race: Redis lost an event while the issuer decides it. A rebuild reads MySQL and then writes Redis;
// the issuer commits decisions to MySQL and then settles Redis (settle.lua). Both take the event's row
// first and exclusively: the issuer's write (withEventLocked), the rebuild from its snapshot until its
// Redis write (withEventSnapshot). So a commit lands either before the snapshot (the rebuild counts it) or
// after the rebuilt state exists (settle then puts those decisions back). Without the locks a rebuild could
// snapshot before the commit and write Redis after settle looked, and the stock those decisions took would
// be handed out again.

/** One decided application as MySQL holds it: its `applications` row and the winner's gift code. */
export interface DecisionRow {
  participant_id: string | number;
  status: string;
  position: number;
  applied_at: Date;
  decided_at: Date;
  code: string | null;
  /** Claim windows: while OFFERED, the deadline and the code it will take. */
  claim_by?: Date | null;
  offer_code?: string | null;
}

/** Every decision of one event (replacements: the event id); append `AND a.participant_id = ?` for one. */
export const DECISIONS_SQL = `SELECT a.participant_id, a.status, a.position, a.applied_at, a.decided_at, g.code, a.claim_by, a.offer_code
  FROM applications a LEFT JOIN gifts g ON g.event_id = a.event_id AND g.participant_id = a.participant_id
 WHERE a.event_id = ?`;

/** A decision from MySQL in the form Redis stores it. */
const STORED_STATUS: Record<string, ApplicationStatus> = {
  ISSUED: ApplicationStatus.APPLICATION_STATUS_ISSUED,
  WAITLISTED: ApplicationStatus.APPLICATION_STATUS_WAITLISTED,
  OFFERED: ApplicationStatus.APPLICATION_STATUS_OFFERED,
  EXPIRED: ApplicationStatus.APPLICATION_STATUS_EXPIRED,
};

export function storedDecision(row: DecisionRow): StoredApplication {
  const status = STORED_STATUS[row.status] ?? ApplicationStatus.APPLICATION_STATUS_SOLD_OUT;
  const app: StoredApplication = {
    status,
    position: row.position,
    appliedAtMs: row.applied_at.getTime(),
    decidedAtMs: row.decided_at.getTime(),
    giftCode: row.code ?? undefined,
  };
  if (status === ApplicationStatus.APPLICATION_STATUS_OFFERED) {
    app.giftCode = row.offer_code ?? undefined;
    app.claimByMs = row.claim_by?.getTime();
  }
  return app;
}

/** One participant's decision as MySQL holds it (undefined: none, or not decided yet). */
export async function decisionOf(
  sequelize: Sequelize,
  eventId: string,
  participantId: string,
): Promise<StoredApplication | undefined> {
  const [row] = await sequelize.query<DecisionRow>(`${DECISIONS_SQL} AND a.participant_id = ?`, {
    replacements: [eventId, participantId],
    type: QueryTypes.SELECT,
  });
  return row === undefined ? undefined : storedDecision(row);
}

/**
 * MySQL's watermark per event (decided through), cached for `ttlMs`: a Redis whose `through` is below it has
 * gone back in time (Redis's only ever runs ahead of MySQL's: it is raised when deciding, before the commit).
 * A cached value is never above the truth, so it never calls a good Redis stale.
 */
export function createWatermarks(sequelize: Sequelize, ttlMs = 1_000) {
  const cache = new Map<string, { at: number; through: Promise<number> }>();
  return {
    decidedThrough(eventId: string): Promise<number> {
      const hit = cache.get(eventId);
      if (hit !== undefined && Date.now() - hit.at < ttlMs) return hit.through;
      const through = decidedThroughOf(sequelize, eventId).then(
        (n) => n ?? 0,
        () => 0, // MySQL away: no floor (Redis still answers; the issuer's write checks again)
      );
      cache.set(eventId, { at: Date.now(), through });
      return through;
    },
  };
}

export type Watermarks = ReturnType<typeof createWatermarks>;

/** What a rebuild needs of the event's row: its settings and the authority's counters (migration 0005). */
export interface EventFacts {
  stock: number;
  status: string;
  opens_at: Date | null;
  closes_at: Date | null;
  issued: number;
  /** Claim windows: MySQL's count of what is OFFERED now (migration 0007). */
  offered: number;
  decided_through: number | string;
  waiting_room_opens_at: Date | null;
  /** Claim windows (migration 0007): 0 means a win is final at once. */
  claim_window_seconds: number;
  max_open_offers: number | null;
}

/** An event's waiting room as MySQL holds it (issue #17): who was told WAITING, and the draw if made. */
export interface WaitingRoomFacts {
  draw: { waitingCount: number; placed: boolean } | undefined;
  /** Participants told WAITING who have no decision yet, in arrival order. */
  waiting: { participant_id: string | number; arrived_at: Date }[];
}

export interface EventSnapshot {
  event: EventFacts;
  decisions: DecisionRow[];
  /** Present when the event has a waiting room. */
  waitingRoom?: WaitingRoomFacts | undefined;
}

async function readWaitingRoom(sequelize: Sequelize, eventId: string, transaction: Transaction): Promise<WaitingRoomFacts> {
  const [draw] = await sequelize.query<{ waiting_count: number; placed_at: Date | null }>(
    'SELECT waiting_count, placed_at FROM draws WHERE event_id = ?',
    { replacements: [eventId], type: QueryTypes.SELECT, transaction },
  );
  const waiting = await sequelize.query<{ participant_id: string | number; arrived_at: Date }>(
    `SELECT w.participant_id, w.arrived_at FROM waiting w
      WHERE w.event_id = ? AND NOT EXISTS
        (SELECT 1 FROM applications a WHERE a.event_id = w.event_id AND a.participant_id = w.participant_id)
      ORDER BY w.arrived_at, w.participant_id`,
    { replacements: [eventId], type: QueryTypes.SELECT, transaction },
  );
  return {
    draw: draw === undefined ? undefined : { waitingCount: Number(draw.waiting_count), placed: draw.placed_at !== null },
    waiting,
  };
}

/**
 * The rebuild's side: reads the event and its decisions in one snapshot (so counts and decisions agree)
 * and runs `write` (the Redis write) while still holding the event's row. undefined: no such event.
 */
export function withEventSnapshot<T>(
  sequelize: Sequelize,
  eventId: string,
  write: (snapshot: EventSnapshot) => Promise<T>,
): Promise<T | undefined> {
  return sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ }, async (transaction) => {
    const [event] = await sequelize.query<EventFacts>(
      'SELECT stock, status, opens_at, closes_at, issued, offered, decided_through, waiting_room_opens_at, claim_window_seconds, max_open_offers FROM events WHERE id = ? FOR UPDATE',
      { replacements: [eventId], type: QueryTypes.SELECT, transaction },
    );
    if (event === undefined) return undefined;
    const decisions = await sequelize.query<DecisionRow>(DECISIONS_SQL, {
      replacements: [eventId],
      type: QueryTypes.SELECT,
      transaction,
    });
    const waitingRoom = event.waiting_room_opens_at === null ? undefined : await readWaitingRoom(sequelize, eventId, transaction);
    return write({ event, decisions, waitingRoom });
  });
}

/** MySQL's watermark for one event: the highest position the issuer has consumed and committed. */
export async function decidedThroughOf(sequelize: Sequelize, eventId: string): Promise<number | undefined> {
  const [row] = await sequelize.query<{ decided_through: number | string }>('SELECT decided_through FROM events WHERE id = ?', {
    replacements: [eventId],
    type: QueryTypes.SELECT,
  });
  return row === undefined ? undefined : Number(row.decided_through);
}

/** An id for SQL text. Ids are BIGINT UNSIGNED and may exceed 2^53: their digits go in as they are, checked. */
export function sqlId(value: string): string {
  if (!/^[0-9]{1,20}$/.test(value)) throw new Error(`not an id: ${value}`);
  return value;
}

/** The authority's counters on an event's row (migration 0005), as the issuer's transaction reads them. */
export interface EventAuthority {
  stock: number;
  issued: number;
  /** Claim windows (migration 0007): what is OFFERED now; issued + offered never exceeds the stock. */
  offered: number;
  decided_through: number;
}

/**
 * The issuer's side: runs `write` (its inserts of decisions and the conditional update of the counters) in
 * one transaction that first takes the event's row exclusively and reads the authority's counters.
 */
export function withEventLocked<T>(
  sequelize: Sequelize,
  eventId: string,
  write: (authority: EventAuthority | undefined, transaction: Transaction) => Promise<T>,
): Promise<T> {
  return sequelize.transaction(async (transaction) => {
    const [row] = await sequelize.query<EventAuthority>(
      'SELECT stock, issued, offered, decided_through FROM events WHERE id = ? FOR UPDATE',
      { replacements: [sqlId(eventId)], type: QueryTypes.SELECT, transaction },
    );
    const authority =
      row === undefined
        ? undefined
        : {
            stock: Number(row.stock),
            issued: Number(row.issued),
            offered: Number(row.offered),
            decided_through: Number(row.decided_through),
          };
    return write(authority, transaction);
  });
}
