import { ApplicationStatus } from '@fcfs/proto';
import { sqlId, withEventsLocked, type StoredApplication } from '@fcfs/stock';
import type { Sequelize } from 'sequelize';

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
 * Writes one chunk of decisions in ONE transaction: the applications, the gifts of the winners and an
 * outbox row per application for its result e-mail. Every insert ignores a row already there (unique on
 * event + participant), so a redelivered chunk writes nothing twice.
 */
export async function writeDecisions(sequelize: Sequelize, decided: readonly DecidedApplication[], nowMs: number): Promise<void> {
  const seen = new Set<string>();
  const rows = decided.filter((d) => {
    if (d.app.status === ApplicationStatus.APPLICATION_STATUS_PENDING) return false;
    const key = `${d.eventId}:${d.participantId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
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
  // Under the events' row locks: a rebuild of Redis racing this commit must see it or be settled after it.
  await withEventsLocked(
    sequelize,
    rows.map((r) => r.eventId),
    async (transaction) => {
      await sequelize.query(
        `INSERT INTO applications (event_id, participant_id, position, status, applied_at, decided_at)
         VALUES ${apps.join(',')} ON DUPLICATE KEY UPDATE id = id`,
        { transaction },
      );
      if (gifts.length > 0) {
        await sequelize.query(
          `INSERT INTO gifts (event_id, participant_id, code, position, issued_at)
           VALUES ${gifts.join(',')} ON DUPLICATE KEY UPDATE id = id`,
          { transaction },
        );
      }
      await sequelize.query(
        `INSERT INTO outbox (kind, event_id, participant_id, payload, status, attempts, next_attempt_at, decided_at, created_at)
         VALUES ${outbox.join(',')} ON DUPLICATE KEY UPDATE id = id`,
        { transaction },
      );
    },
  );
}
