import { ServiceError } from '@fcfs/kit';
import { ApplicationStatus, ApplyOutcome, type ApplyResponse } from '@fcfs/proto';
import {
  AdmitOutcome,
  encodeRecord,
  eventKeys,
  parseEntry,
  rebuildEventState,
  toApplication,
  type Admission,
  type AdmitResult,
  type RebuildDeps,
} from '@fcfs/stock';
import type { Message } from 'kafkajs';
import { appliesTotal } from '../metrics';

/** One application to the gate. */
export interface ApplyItem {
  eventId: string;
  participantId: string;
  /** The traceparent of the call it came in (while tracing): its Kafka record's `traceparent` header. */
  trace?: string;
}

/** One application decided at the gate, waiting for its produce (if it needs one). */
export interface Admitted {
  response: ApplyResponse;
  /** Set when this admission must reach Kafka before it is answered. */
  produced?: { participantId: string; position: number; message: Message };
  /** ALREADY_APPLIED to an admission of this same batch: it stands or falls with that produce. */
  dependsOnBatch: boolean;
  /** WAITING (new, or again): answered only once MySQL holds it (waitroom/confirm.ts). */
  waiting?: { participantId: string; arrivedAtMs: number; isNew: boolean };
  /** Its WAITING could not be made durable: answered UNAVAILABLE. */
  unconfirmed?: boolean;
  /** The event opened and its draw is being placed: answered UNAVAILABLE, retry shortly. */
  held?: boolean;
}

export interface AdmitDeps extends RebuildDeps {
  now: () => number;
}

const OUTCOME: Record<AdmitOutcome, ApplyOutcome> = {
  [AdmitOutcome.ACCEPTED]: ApplyOutcome.APPLY_OUTCOME_ACCEPTED,
  [AdmitOutcome.ALREADY_APPLIED]: ApplyOutcome.APPLY_OUTCOME_ALREADY_APPLIED,
  [AdmitOutcome.SOLD_OUT]: ApplyOutcome.APPLY_OUTCOME_SOLD_OUT,
  [AdmitOutcome.NOT_OPEN]: ApplyOutcome.APPLY_OUTCOME_NOT_OPEN,
  [AdmitOutcome.WAITING]: ApplyOutcome.APPLY_OUTCOME_WAITING,
  [AdmitOutcome.HELD]: ApplyOutcome.APPLY_OUTCOME_UNSPECIFIED,
};
const OUTCOME_LABEL: Record<AdmitOutcome, string> = {
  [AdmitOutcome.ACCEPTED]: 'accepted',
  [AdmitOutcome.ALREADY_APPLIED]: 'already_applied',
  [AdmitOutcome.SOLD_OUT]: 'sold_out',
  [AdmitOutcome.NOT_OPEN]: 'not_open',
  [AdmitOutcome.WAITING]: 'waiting',
  [AdmitOutcome.HELD]: 'held',
};

/** One participant's admission as the batch will answer it, and the record to produce for a new one. */
function toAdmitted(eventId: string, participantId: string, admission: Admission, decidedThrough: number): Admitted {
  const { outcome, entry } = admission;
  if (outcome === AdmitOutcome.NOT_OPEN || outcome === AdmitOutcome.HELD) {
    const held = outcome === AdmitOutcome.HELD;
    return { response: { outcome: OUTCOME[outcome], application: undefined }, dependsOnBatch: false, held };
  }
  const stored = parseEntry(entry);
  const ahead = Math.max(0, stored.position - 1 - decidedThrough);
  const response = { outcome: OUTCOME[outcome], application: toApplication(eventId, participantId, stored, ahead) };
  if (stored.status === ApplicationStatus.APPLICATION_STATUS_WAITING) {
    const isNew = outcome === AdmitOutcome.WAITING;
    return { response, dependsOnBatch: false, waiting: { participantId, arrivedAtMs: stored.appliedAtMs, isNew } };
  }
  if (outcome === AdmitOutcome.ALREADY_APPLIED) return { response, dependsOnBatch: false };
  const value = encodeRecord({
    eventId,
    participantId,
    position: stored.position,
    appliedAtMs: stored.appliedAtMs,
    gateDecidedAtMs: outcome === AdmitOutcome.SOLD_OUT ? stored.decidedAtMs : undefined,
  });
  return {
    response,
    produced: { participantId, position: stored.position, message: { key: eventId, value } },
    dependsOnBatch: false,
  };
}

/**
 * The gate for one event's share of a batch: ONE admit.lua call (the event's state rebuilt from MySQL first
 * if Redis lost it), every participant answered ACCEPTED / ALREADY_APPLIED / SOLD_OUT / NOT_OPEN, and a
 * Kafka record for each new application (accepted, or answered SOLD_OUT at the gate).
 */
export function createAdmitter(deps: AdmitDeps) {
  /** The highest position handed out per event: a rebuild must not hand those out again. */
  const highWater = new Map<string, number>();

  const gateCall = async (eventId: string, participantIds: string[]): Promise<AdmitResult> => {
    const keys = eventKeys(deps.prefix, eventId);
    const at = deps.now();
    const result = await deps.scripts.admit(keys, at, participantIds);
    if (result !== null) return result;
    const rebuilt = await rebuildEventState(deps, eventId, highWater.get(eventId) ?? 0);
    if (rebuilt === 'not-found') throw ServiceError.notFound(`event ${eventId} does not exist`);
    const again = await deps.scripts.admit(keys, at, participantIds);
    if (again === null) throw ServiceError.unavailable(`the state of event ${eventId} could not be loaded`);
    return again;
  };

  return async function admitShare(eventId: string, participantIds: string[]): Promise<Admitted[]> {
    const { decidedThrough, admissions } = await gateCall(eventId, participantIds);
    const newInBatch = new Set<string>();
    return participantIds.map((participantId, i) => {
      const admission = admissions[i] as Admission;
      appliesTotal.inc({ outcome: OUTCOME_LABEL[admission.outcome] });
      const admitted = toAdmitted(eventId, participantId, admission, decidedThrough);
      if (admitted.produced) {
        newInBatch.add(participantId);
        highWater.set(eventId, Math.max(highWater.get(eventId) ?? 0, admitted.produced.position));
      } else if (admission.outcome === AdmitOutcome.ALREADY_APPLIED) {
        admitted.dependsOnBatch = newInBatch.has(participantId);
      }
      return admitted;
    });
  };
}

export type AdmitShare = ReturnType<typeof createAdmitter>;
