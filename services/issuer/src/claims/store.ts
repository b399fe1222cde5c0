import { ApplicationStatus } from '@fcfs/proto';
import { sqlId, withEventLocked } from '@fcfs/stock';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { insertGiftsAndOutbox, RESULT_EMAIL, sqlTime, type DecidedApplication, type WriteOutcome } from '../decisions/store';

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
 * What Redis claimed when claims.lua decided a chunk (its counts before and after, its watermark before), checked
 * against MySQL, the authority, as decisions/store.ts checks decide.lua's: a Redis that went back in time fails it.
 */
export interface ClaimsClaim {
  issuedBefore: number;
  offeredBefore: number;
  decidedThroughBefore: number;
  issuedAfter: number;
  offeredAfter: number;
  /** The highest position among the chunk's applications: MySQL's watermark moves to it. */
  lastPosition: number;
}

class Stale extends Error {}

/** How a chunk moves MySQL's counters: each participant's latest state against the one MySQL holds. */
async function counterDeltas(
  sequelize: Sequelize,
  eventId: string,
  latest: ReadonlyMap<string, string>,
  transaction: Transaction,
): Promise<{ issued: number; offered: number; rows: number }> {
  const ids = [...latest.keys()];
  const held = await sequelize.query<{ participant_id: string | number; status: string }>(
    `SELECT participant_id, status FROM applications WHERE event_id = ${sqlId(eventId)}
        AND participant_id IN (${ids.map((id) => sqlId(id)).join(',')})`,
    { type: QueryTypes.SELECT, transaction },
  );
  const before = new Map(held.map((r) => [String(r.participant_id), r.status]));
  const deltas = { issued: 0, offered: 0, rows: 0 };
  for (const [id, status] of latest) {
    const was = before.get(id);
    if (was === undefined) deltas.rows++;
    if (status === 'ISSUED' && was !== 'ISSUED') deltas.issued++;
    if (status === 'OFFERED' && was !== 'OFFERED') deltas.offered++;
    if (status !== 'OFFERED' && was === 'OFFERED') deltas.offered--;
  }
  return deltas;
}

/**
 * Writes one chunk of one event's claim-window transitions in ONE transaction, with MySQL as the authority (as
 * decisions/store.ts for events without a window): it takes the event's row, checks Redis's claim (a watermark
 * behind MySQL's, or counts MySQL's plus this chunk's do not explain, mean Redis is stale: `stale`, rolled back),
 * and moves `issued`, `offered`, `decided` and `decided_through` in ONE conditional update that refuses
 * issued + offered beyond the stock. Then, in order: each application's row takes
 * its latest state (an upsert), a claim inserts the gift, an offer queues its OFFER_EMAIL and a final state
 * (ISSUED, EXPIRED, SOLD_OUT) its RESULT_EMAIL. Every outbox and gift insert ignores a row already there
 * (unique on kind/event/participant; one offer per participant), so a redelivered chunk sends nothing twice.
 */
export async function writeClaimTransitions(
  sequelize: Sequelize,
  eventId: string,
  changes: readonly DecidedApplication[],
  claim: ClaimsClaim,
  nowMs: number,
): Promise<WriteOutcome> {
  const rows = changes.filter((c) => STATUS_NAME[c.app.status] !== undefined && c.eventId === eventId);
  const now = sqlTime(nowMs);
  const latest = new Map<string, string>();
  const latestStatus = new Map<string, string>();
  const gifts: string[] = [];
  const outbox: string[] = [];
  for (const { eventId, participantId, app } of rows) {
    const ids = `${sqlId(eventId)},${sqlId(participantId)}`;
    const status = STATUS_NAME[app.status] as string;
    const decidedAt = sqlTime(app.decidedAtMs ?? nowMs);
    const offered = app.status === ApplicationStatus.APPLICATION_STATUS_OFFERED;
    const claimBy = offered && app.claimByMs !== undefined ? sqlTime(app.claimByMs) : 'NULL';
    const offerCode = offered ? sqlCode(app.giftCode) : 'NULL';
    latestStatus.set(participantId, status);
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
  try {
    await withEventLocked(sequelize, eventId, async (authority, transaction) => {
      if (authority === undefined) throw new Stale(`event ${eventId} is not in MySQL`);
      if (claim.decidedThroughBefore < authority.decided_through) {
        throw new Stale(`Redis's watermark ${claim.decidedThroughBefore} is behind MySQL's ${authority.decided_through}`);
      }
      const d =
        latestStatus.size === 0
          ? { issued: 0, offered: 0, rows: 0 }
          : await counterDeltas(sequelize, eventId, latestStatus, transaction);
      if (claim.issuedAfter !== authority.issued + d.issued || claim.offeredAfter !== authority.offered + d.offered) {
        throw new Stale(
          `Redis counts ${claim.issuedAfter} issued and ${claim.offeredAfter} offered, MySQL ${authority.issued} + ${d.issued} and ${authority.offered} + ${d.offered}`,
        );
      }
      const taken = d.issued + d.offered;
      // Only what takes more stock is bounded by it (an offer ending frees what it held).
      const bound = taken > 0 ? ` AND issued + offered + ${int(taken)} <= stock` : '';
      const [, changed] = await sequelize.query(
        `UPDATE events SET issued = issued + ${int(d.issued)}, offered = offered + ${int(d.offered)},
                decided = decided + ${int(d.rows)}, decided_through = GREATEST(decided_through, ${int(claim.lastPosition)})
          WHERE id = ${sqlId(eventId)}${bound}`,
        { type: QueryTypes.UPDATE, transaction },
      );
      // (An update that changes nothing counts 0 rows: only one that takes stock must have matched.)
      if (taken > 0 && Number(changed) !== 1) {
        throw new Stale(
          `taking ${taken} more would exceed the stock ${authority.stock} (${authority.issued} issued, ${authority.offered} offered)`,
        );
      }
      if (rows.length === 0) return;
      await sequelize.query(
        `INSERT INTO applications (event_id, participant_id, position, status, applied_at, decided_at, claim_by, offer_code)
       VALUES ${[...latest.values()].join(',')}
       ON DUPLICATE KEY UPDATE status = VALUES(status), decided_at = VALUES(decided_at), claim_by = VALUES(claim_by),
         offer_code = VALUES(offer_code)`,
        { transaction },
      );
      await insertGiftsAndOutbox(sequelize, gifts, outbox, transaction);
    });
  } catch (err) {
    if (err instanceof Stale) return { kind: 'stale', reason: err.message };
    throw err;
  }
  return { kind: 'written' };
}
