import { isId } from '@fcfs/kit';
import { ApplicationRecord, ApplicationStatus, RecordKind } from '@fcfs/proto';

/** An application on the `applications` topic, checked. */
export interface QueuedApplication {
  eventId: string;
  participantId: string;
  position: number;
  appliedAtMs: number;
  /** Set when the gate already answered SOLD_OUT: when it did. */
  gateDecidedAtMs: number | undefined;
  /**
   * Claim windows: a claim, decline or expiry of the participant's offer, the line's close, or a pass of freed room
   * down the waitlist, decided in the same order as the applications (claims.lua). Absent: an application.
   */
  claim?: { kind: ClaimKind; atMs: number };
}

/** What a claim-window record does (RecordKind). */
export type ClaimKind = 'CLAIM' | 'DECLINE' | 'EXPIRE' | 'CLOSE' | 'PASS';

const KIND_OF: Record<number, ClaimKind> = {
  [RecordKind.RECORD_KIND_CLAIM]: 'CLAIM',
  [RecordKind.RECORD_KIND_DECLINE]: 'DECLINE',
  [RecordKind.RECORD_KIND_EXPIRE]: 'EXPIRE',
  [RecordKind.RECORD_KIND_CLOSE]: 'CLOSE',
  [RecordKind.RECORD_KIND_PASS]: 'PASS',
};
const RECORD_KIND = {
  CLAIM: RecordKind.RECORD_KIND_CLAIM,
  DECLINE: RecordKind.RECORD_KIND_DECLINE,
  EXPIRE: RecordKind.RECORD_KIND_EXPIRE,
  CLOSE: RecordKind.RECORD_KIND_CLOSE,
  PASS: RecordKind.RECORD_KIND_PASS,
};

export function encodeRecord(r: QueuedApplication): Buffer {
  return Buffer.from(
    ApplicationRecord.encode({
      eventId: r.eventId,
      participantId: r.participantId,
      position: r.position,
      appliedAtMs: r.appliedAtMs,
      predecided:
        r.gateDecidedAtMs === undefined
          ? ApplicationStatus.APPLICATION_STATUS_UNSPECIFIED
          : ApplicationStatus.APPLICATION_STATUS_SOLD_OUT,
      decidedAtMs: r.gateDecidedAtMs ?? 0,
      kind: r.claim === undefined ? RecordKind.RECORD_KIND_UNSPECIFIED : RECORD_KIND[r.claim.kind],
      atMs: r.claim?.atMs ?? 0,
    }).finish(),
  );
}

export type DecodedRecord = { ok: true; record: QueuedApplication } | { ok: false; reason: string };

/** Decodes and checks one record; a record that can never be processed says why (for the DLQ). */
export function decodeRecord(key: Buffer | null, value: Buffer | null): DecodedRecord {
  if (value === null || value.length === 0) return { ok: false, reason: 'empty value' };
  let r: ApplicationRecord;
  try {
    r = ApplicationRecord.decode(value);
  } catch (err) {
    return { ok: false, reason: `not an ApplicationRecord: ${(err as Error).message}` };
  }
  if (!isId(r.eventId)) return { ok: false, reason: 'event_id is not a valid id' };
  if (key === null || key.toString() !== r.eventId) return { ok: false, reason: 'record key is not its event id' };
  if (r.kind !== RecordKind.RECORD_KIND_UNSPECIFIED) return decodeClaimRecord(r);
  if (!isId(r.participantId)) return { ok: false, reason: 'participant_id is not a valid id' };
  if (!Number.isInteger(r.position) || r.position < 1) return { ok: false, reason: 'position must be a positive integer' };
  if (!Number.isSafeInteger(r.appliedAtMs) || r.appliedAtMs <= 0) return { ok: false, reason: 'applied_at_ms is missing' };
  let gateDecidedAtMs: number | undefined;
  if (r.predecided === ApplicationStatus.APPLICATION_STATUS_SOLD_OUT) {
    gateDecidedAtMs = r.decidedAtMs > 0 ? r.decidedAtMs : r.appliedAtMs;
  } else if (r.predecided !== ApplicationStatus.APPLICATION_STATUS_UNSPECIFIED) {
    return { ok: false, reason: `predecided may only be SOLD_OUT, got ${r.predecided}` };
  }
  return {
    ok: true,
    record: {
      eventId: r.eventId,
      participantId: r.participantId,
      position: r.position,
      appliedAtMs: r.appliedAtMs,
      gateDecidedAtMs,
    },
  };
}

/** A claim window's CLAIM, DECLINE, EXPIRE, CLOSE or PASS record (its event id and key already checked). */
function decodeClaimRecord(r: ApplicationRecord): DecodedRecord {
  const kind = KIND_OF[r.kind];
  if (kind === undefined) return { ok: false, reason: `unknown record kind ${r.kind}` };
  const lineWide = kind === 'CLOSE' || kind === 'PASS';
  if (!lineWide && !isId(r.participantId)) return { ok: false, reason: 'participant_id is not a valid id' };
  if (!Number.isSafeInteger(r.atMs) || r.atMs < 0) return { ok: false, reason: 'at_ms is not a time' };
  return {
    ok: true,
    record: {
      eventId: r.eventId,
      participantId: lineWide ? '0' : r.participantId,
      position: Math.max(0, r.position),
      appliedAtMs: Math.max(0, r.appliedAtMs),
      gateDecidedAtMs: undefined,
      claim: { kind, atMs: r.atMs },
    },
  };
}
