import { ApplicationStatus } from '@fcfs/proto';
import { sqlId, withEventLocked, type StoredApplication } from '@fcfs/stock';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';

export interface DecidedApplication {
  eventId: string;
  participantId: string;
  app: StoredApplication;
  /** The apply's traceparent (its record's header, while tracing): kept in the outbox payload for the notifier. */
  trace?: string;
}

export const RESULT_EMAIL = 'RESULT_EMAIL';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A DATETIME(3) literal in UTC (the connection's time zone), without a date library on the hot path. */
export function sqlTime(ms: number): string {
  const d = new Date(ms);
  return `'${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}'`;
}

// Every value below is an id checked by decodeRecord, a number, a time, a gift code of a fixed alphabet or
// JSON built here; this check keeps a future change from slipping anything else into the SQL.
const SAFE = /^[0-9A-Za-z_\-":,{} ]*$/;
function sqlString(value: string): string {
  if (!SAFE.test(value)) throw new Error(`unexpected characters in a value for SQL: ${JSON.stringify(value.slice(0, 40))}`);
  return `'${value}'`;
}
const sqlInt = (value: string | number) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${String(value)}`);
  return String(n);
};

/**
 * What Redis claimed when it decided a chunk: checked against MySQL, the authority, in the write transaction.
 * Redis that went back in time (a lagging replica promoted, an older snapshot loaded) fails the check.
 */
export interface RedisClaim {
  /** Redis's count of what is issued after deciding the chunk. */
  issuedAfter: number;
  /** Redis's watermark (highest position consumed) before deciding the chunk. */
  decidedThroughBefore: number;
  /** The highest position among the chunk's records, decided or not: MySQL's watermark moves to it. */
  lastPosition: number;
  /** Participants the chunk decided afresh (not remembered decisions): MySQL must not hold one for them. */
  fresh: ReadonlySet<string>;
}

/** `written`, or why Redis is stale (the transaction was rolled back: rebuild Redis from MySQL, decide again). */
export type WriteOutcome = { kind: 'written' } | { kind: 'stale'; reason: string };

class Stale extends Error {}

/**
 * Writes one chunk of one event's decisions in ONE transaction, with MySQL as the authority:
 * 1. takes the event's row and reads its counters (issued, decided through);
 * 2. checks Redis's claim: a fresh decision MySQL already holds, a watermark behind MySQL's, or an issued
 *    count MySQL's does not explain means Redis is stale (rolled back, `stale`);
 * 3. ONE conditional update of the counters that refuses to issue beyond the stock (`stale` too: whatever
 *    Redis says, nothing is issued beyond MySQL's stock);
 * 4. inserts the applications MySQL does not hold yet, the winners' gifts and an outbox row each (every insert
 *    ignores a row already there, so a redelivered chunk writes nothing twice).
 */
export async function writeDecisions(
  sequelize: Sequelize,
  eventId: string,
  decided: readonly DecidedApplication[],
  claim: RedisClaim,
  nowMs: number,
): Promise<WriteOutcome> {
  const seen = new Set<string>();
  const candidates = decided.filter((d) => {
    if (d.app.status === ApplicationStatus.APPLICATION_STATUS_PENDING || d.eventId !== eventId) return false;
    if (seen.has(d.participantId)) return false;
    seen.add(d.participantId);
    return true;
  });
  try {
    await withEventLocked(sequelize, eventId, async (authority, transaction) => {
      if (authority === undefined) throw new Stale(`event ${eventId} is not in MySQL`);
      const existing = new Set<string>();
      if (candidates.length > 0) {
        const held = await sequelize.query<{ participant_id: string | number }>(
          `SELECT participant_id FROM applications WHERE event_id = ${sqlId(eventId)}
              AND participant_id IN (${candidates.map((c) => sqlId(c.participantId)).join(',')})`,
          { type: QueryTypes.SELECT, transaction },
        );
        for (const r of held) existing.add(String(r.participant_id));
      }
      const rows = candidates.filter((c) => !existing.has(c.participantId));
      const won = rows.filter((r) => r.app.status === ApplicationStatus.APPLICATION_STATUS_ISSUED).length;
      for (const id of existing) {
        if (claim.fresh.has(id)) throw new Stale(`participant ${id} was decided again although MySQL holds a decision`);
      }
      if (claim.decidedThroughBefore < authority.decided_through) {
        throw new Stale(`Redis's watermark ${claim.decidedThroughBefore} is behind MySQL's ${authority.decided_through}`);
      }
      if (claim.issuedAfter !== authority.issued + won) {
        throw new Stale(`Redis counts ${claim.issuedAfter} issued, MySQL ${authority.issued} + ${won}`);
      }
      const [, changed] = await sequelize.query(
        `UPDATE events SET issued = issued + ${won}, decided = decided + ${rows.length},
                decided_through = GREATEST(decided_through, ${sqlInt(claim.lastPosition)})
          WHERE id = ${sqlId(eventId)} AND issued + ${won} <= stock`,
        { type: QueryTypes.UPDATE, transaction },
      );
      if (won > 0 && Number(changed) !== 1) {
        throw new Stale(`issuing ${won} more would exceed the stock ${authority.stock} (${authority.issued} issued)`);
      }
      await insertDecisions(sequelize, rows, nowMs, transaction);
    });
  } catch (err) {
    if (err instanceof Stale) return { kind: 'stale', reason: err.message };
    throw err;
  }
  return { kind: 'written' };
}

async function insertDecisions(
  sequelize: Sequelize,
  rows: readonly DecidedApplication[],
  nowMs: number,
  transaction: Transaction,
): Promise<void> {
  if (rows.length === 0) return;
  const now = sqlTime(nowMs);
  const apps: string[] = [];
  const gifts: string[] = [];
  const outbox: string[] = [];
  for (const { eventId, participantId, app, trace } of rows) {
    const won = app.status === ApplicationStatus.APPLICATION_STATUS_ISSUED;
    const ids = `${sqlId(eventId)},${sqlId(participantId)}`;
    const position = sqlInt(app.position);
    const decidedAt = sqlTime(app.decidedAtMs ?? nowMs);
    apps.push(`(${ids},${position},'${won ? 'ISSUED' : 'SOLD_OUT'}',${sqlTime(app.appliedAtMs)},${decidedAt})`);
    if (won) gifts.push(`(${ids},${sqlString(app.giftCode ?? '')},${position},${decidedAt})`);
    const payload = JSON.stringify(
      won
        ? { status: 'ISSUED', position: app.position, giftCode: app.giftCode, trace }
        : { status: 'SOLD_OUT', position: app.position, trace },
    );
    outbox.push(`('${RESULT_EMAIL}',${ids},${sqlString(payload)},'PENDING',0,${now},${decidedAt},${now})`);
  }
  await sequelize.query(
    `INSERT INTO applications (event_id, participant_id, position, status, applied_at, decided_at)
     VALUES ${apps.join(',')} ON DUPLICATE KEY UPDATE id = id`,
    { transaction },
  );
  await insertGiftsAndOutbox(sequelize, gifts, outbox, transaction);
}

/**
 * The winners' gifts and the e-mails' outbox rows of one chunk (SQL value tuples built by the caller), each insert
 * ignoring a row already there, so a redelivered chunk writes nothing twice. Shared with claims/store.ts.
 */
export async function insertGiftsAndOutbox(
  sequelize: Sequelize,
  gifts: readonly string[],
  outbox: readonly string[],
  transaction: Transaction,
): Promise<void> {
  if (gifts.length > 0) {
    await sequelize.query(
      `INSERT INTO gifts (event_id, participant_id, code, position, issued_at)
       VALUES ${gifts.join(',')} ON DUPLICATE KEY UPDATE id = id`,
      { transaction },
    );
  }
  if (outbox.length > 0) {
    await sequelize.query(
      `INSERT INTO outbox (kind, event_id, participant_id, payload, status, attempts, next_attempt_at, decided_at, created_at)
       VALUES ${outbox.join(',')} ON DUPLICATE KEY UPDATE id = id`,
      { transaction },
    );
  }
}
