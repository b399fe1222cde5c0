import type { ClaimedRow } from './outbox-store';
import type { ResultEmailValues, ResultStatus } from './templates';

/** An outbox row read as a result e-mail to send, or the reason it can never be sent. */
export type ResultEmail =
  | { ok: true; to: string; status: ResultStatus; values: ResultEmailValues; trace: string | undefined }
  | { ok: false; reason: string };

/** A W3C traceparent, as the issuer stores the apply's in the payload (while tracing). */
const TRACEPARENT_FORMAT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

// The address syntax SES (and HTML forms) accept; anything else SES would reject for good.
const ADDRESS =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/**
 * Reads the payload contract `{ status: 'ISSUED'|'SOLD_OUT'|'EXPIRED', position, giftCode?, trace? }` of a
 * RESULT_EMAIL row (trace: the apply's traceparent), and `{ status: 'OFFERED', position, claimByMs }` of an
 * OFFER_EMAIL row (claim windows).
 */
export function toResultEmail(row: ClaimedRow): ResultEmail {
  let payload: unknown = row.payload;
  if (typeof payload === 'string') {
    // MariaDB's JSON is LONGTEXT, so mysql2 hands it back as a string; MySQL 8 as an object.
    try {
      payload = JSON.parse(payload);
    } catch {
      return { ok: false, reason: 'payload is not JSON' };
    }
  }
  if (typeof payload !== 'object' || payload === null) return { ok: false, reason: 'payload is not an object' };
  const { status, position, giftCode, trace, claimByMs } = payload as Record<string, unknown>;
  if (status !== 'ISSUED' && status !== 'SOLD_OUT' && status !== 'OFFERED' && status !== 'EXPIRED') {
    return { ok: false, reason: `unknown result status ${String(status)}` };
  }
  if (status === 'OFFERED' && (typeof claimByMs !== 'number' || !Number.isSafeInteger(claimByMs))) {
    return { ok: false, reason: 'OFFERED payload has no claim deadline' };
  }
  if (typeof position !== 'number' || !Number.isInteger(position)) return { ok: false, reason: 'payload has no position' };
  if (status === 'ISSUED' && (typeof giftCode !== 'string' || giftCode === '')) {
    return { ok: false, reason: 'ISSUED payload has no gift code' };
  }
  if (row.email === null) return { ok: false, reason: `participant ${row.participantId} not found` };
  if (!ADDRESS.test(row.email)) return { ok: false, reason: 'invalid recipient address' };
  if (row.eventName === null) return { ok: false, reason: `event ${row.eventId} not found` };
  return {
    ok: true,
    to: row.email,
    status,
    values: {
      eventName: row.eventName,
      position,
      giftCode: status === 'ISSUED' ? (giftCode as string) : undefined,
      claimBy:
        status === 'OFFERED' ? `${new Date(claimByMs as number).toISOString().slice(0, 19).replace('T', ' ')} UTC` : undefined,
    },
    trace: typeof trace === 'string' && TRACEPARENT_FORMAT.test(trace) ? trace : undefined,
  };
}
