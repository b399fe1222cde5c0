import { isId } from '@fcfs/kit';
import { ApplicationRecord, ApplicationStatus } from '@fcfs/proto';

/** An application on the `applications` topic, checked. */
export interface QueuedApplication {
  eventId: string;
  participantId: string;
  position: number;
  appliedAtMs: number;
  /** Set when the gate already answered SOLD_OUT: when it did. */
  gateDecidedAtMs: number | undefined;
}

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
  if (!isId(r.participantId)) return { ok: false, reason: 'participant_id is not a valid id' };
  if (key === null || key.toString() !== r.eventId) return { ok: false, reason: 'record key is not its event id' };
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
