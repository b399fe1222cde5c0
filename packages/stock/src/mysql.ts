import { ApplicationStatus } from '@fcfs/proto';
import { QueryTypes, Transaction, type Sequelize } from 'sequelize';
import type { StoredApplication } from './entry';

// MySQL's side of the stock: its decisions, read one way by a rebuild and by the issuer's read API, and the
// two transactions of the rebuild race.
//
// The race: Redis lost an event while the issuer decides it. A rebuild reads MySQL and then writes Redis;
// the issuer commits decisions to MySQL and then settles Redis (settle.lua). Both take the event's row
// first: the issuer's write exclusively (withEventsLocked), the rebuild shared from its snapshot until its
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

/** What a rebuild needs of the event's row. */
export interface EventFacts {
  stock: number;
  status: string;
  opens_at: Date | null;
  closes_at: Date | null;
  claim_window_seconds: number;
  max_open_offers: number | null;
}

export interface EventSnapshot {
  event: EventFacts;
  decisions: DecisionRow[];
}

/**
 * The rebuild's side: reads the event and its decisions in one snapshot (so counts and decisions agree)
 * and runs `write` (the Redis write) while still holding the event's row shared. undefined: no such event.
 */
export function withEventSnapshot<T>(
  sequelize: Sequelize,
  eventId: string,
  write: (snapshot: EventSnapshot) => Promise<T>,
): Promise<T | undefined> {
  return sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ }, async (transaction) => {
    const [event] = await sequelize.query<EventFacts>(
      'SELECT stock, status, opens_at, closes_at, claim_window_seconds, max_open_offers FROM events WHERE id = ? LOCK IN SHARE MODE',
      { replacements: [eventId], type: QueryTypes.SELECT, transaction },
    );
    if (event === undefined) return undefined;
    const decisions = await sequelize.query<DecisionRow>(DECISIONS_SQL, {
      replacements: [eventId],
      type: QueryTypes.SELECT,
      transaction,
    });
    return write({ event, decisions });
  });
}

/** An id for SQL text. Ids are BIGINT UNSIGNED and may exceed 2^53: their digits go in as they are, checked. */
export function sqlId(value: string): string {
  if (!/^[0-9]{1,20}$/.test(value)) throw new Error(`not an id: ${value}`);
  return value;
}

/**
 * The issuer's side: runs `write` (its inserts of decisions) in one transaction that first takes the
 * events' rows exclusively, in id order so two writers never deadlock on them.
 */
export function withEventsLocked<T>(
  sequelize: Sequelize,
  eventIds: readonly string[],
  write: (transaction: Transaction) => Promise<T>,
): Promise<T> {
  const ids = [...new Set(eventIds.map(sqlId))].sort();
  return sequelize.transaction(async (transaction) => {
    await sequelize.query(`SELECT id FROM events WHERE id IN (${ids.join(',')}) ORDER BY id FOR UPDATE`, { transaction });
    return write(transaction);
  });
}
