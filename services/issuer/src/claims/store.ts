import { ApplicationStatus } from '@fcfs/proto';
import { sqlId, withEventsLocked } from '@fcfs/stock';
import type { Sequelize } from 'sequelize';
import { RESULT_EMAIL, sqlTime, type DecidedApplication } from '../decisions/store';

/** The e-mail of an offer (with its deadline); the final state's goes as a RESULT_EMAIL, as without a window. */
export const OFFER_EMAIL = 'OFFER_EMAIL';

const STATUS_NAME: Partial<Record<ApplicationStatus, string>> = {
  [ApplicationStatus.APPLICATION_STATUS_ISSUED]: 'ISSUED',
  [ApplicationStatus.APPLICATION_STATUS_SOLD_OUT]: 'SOLD_OUT',
  [ApplicationStatus.APPLICATION_STATUS_WAITLISTED]: 'WAITLISTED',
  [ApplicationStatus.APPLICATION_STATUS_OFFERED]: 'OFFERED',
  [ApplicationStatus.APPLICATION_STATUS_EXPIRED]: 'EXPIRED',
};

const CODE = /^[0-9A-Za-z_-]{1,32}$/;
const sqlCode = (code: string | undefined) => {
  if (code === undefined || !CODE.test(code)) throw new Error('an ISSUED or OFFERED application without a valid gift code');
  return `'${code}'`;
};
const int = (n: number) => {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
};

/**
 * Writes one chunk of claim-window transitions in ONE transaction, in order: each application's row takes
 * its latest state (an upsert), a claim inserts the gift, an offer queues its OFFER_EMAIL and a final state
 * (ISSUED, EXPIRED, SOLD_OUT) its RESULT_EMAIL. Every outbox and gift insert ignores a row already there
 * (unique on kind/event/participant; one offer per participant), so a redelivered chunk sends nothing twice.
 */
export async function writeClaimTransitions(sequelize: Sequelize, changes: readonly DecidedApplication[], nowMs: number) {
  const rows = changes.filter((c) => STATUS_NAME[c.app.status] !== undefined);
  if (rows.length === 0) return;
  const now = sqlTime(nowMs);
  const latest = new Map<string, string>();
  const gifts: string[] = [];
  const outbox: string[] = [];
  for (const { eventId, participantId, app } of rows) {
    const ids = `${sqlId(eventId)},${sqlId(participantId)}`;
    const status = STATUS_NAME[app.status] as string;
    const decidedAt = sqlTime(app.decidedAtMs ?? nowMs);
    const offered = app.status === ApplicationStatus.APPLICATION_STATUS_OFFERED;
    const claimBy = offered && app.claimByMs !== undefined ? sqlTime(app.claimByMs) : 'NULL';
    const offerCode = offered ? sqlCode(app.giftCode) : 'NULL';
    latest.set(ids, `(${ids},${int(app.position)},'${status}',${sqlTime(app.appliedAtMs)},${decidedAt},${claimBy},${offerCode})`);
    let payload: object | undefined;
    let kind = RESULT_EMAIL;
    if (app.status === ApplicationStatus.APPLICATION_STATUS_ISSUED) {
      gifts.push(`(${ids},${sqlCode(app.giftCode)},${int(app.position)},${decidedAt})`);
      payload = { status, position: app.position, giftCode: app.giftCode };
    } else if (app.status === ApplicationStatus.APPLICATION_STATUS_OFFERED) {
      kind = OFFER_EMAIL;
      payload = { status, position: app.position, claimByMs: app.claimByMs };
    } else if (app.status !== ApplicationStatus.APPLICATION_STATUS_WAITLISTED) {
      payload = { status, position: app.position };
    }
    if (payload !== undefined) {
      outbox.push(`('${kind}',${ids},'${JSON.stringify(payload)}','PENDING',0,${now},${decidedAt},${now})`);
    }
  }
  await withEventsLocked(
    sequelize,
    rows.map((r) => r.eventId),
    async (transaction) => {
      await sequelize.query(
        `INSERT INTO applications (event_id, participant_id, position, status, applied_at, decided_at, claim_by, offer_code)
         VALUES ${[...latest.values()].join(',')}
         ON DUPLICATE KEY UPDATE status = VALUES(status), decided_at = VALUES(decided_at), claim_by = VALUES(claim_by),
           offer_code = VALUES(offer_code)`,
        { transaction },
      );
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
    },
  );
}
