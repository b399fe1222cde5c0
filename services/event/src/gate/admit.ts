import { ServiceError } from '@fcfs/kit';
import { ApplicationStatus, ApplyOutcome, type ApplyResponse } from '@fcfs/proto';
import {
  AdmitOutcome,
  decidedThroughOf,
  encodeRecord,
  eventKeys,
  parseEntry,
  rebuildEventState,
  toApplication,
  type Admission,
  type AdmitResult,
  type RebuildDeps,
  type Watermarks,
} from '@fcfs/stock';
import type { Logger } from 'pino';
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
  /**
   * Set when this admission must reach Kafka before it is answered; `soldOutEntry`: the SOLD_OUT the gate stored
   * (to forget if the produce fails: that answer is never given).
   */
  produced?: { participantId: string; position: number; message: Message; soldOutEntry?: string };
  /** ALREADY_APPLIED to an admission of this same batch: it stands or falls with that produce. */
  dependsOnBatch: boolean;
  /** WAITING (new, or again): answered only once MySQL holds it (waitroom/confirm.ts). */
  waiting?: { participantId: string; arrivedAtMs: number; isNew: boolean };
  /** Its WAITING could not be made durable: answered UNAVAILABLE. */
  unconfirmed?: boolean;
  /** The event opened and its draw is being placed: answered UNAVAILABLE, retry shortly. */
  held?: boolean;
}

/** An event's partition, read now: its end offset and the issuer group's committed offset. */
export type PartitionOffsets = (eventId: string) => Promise<{ end: number; committed: number }>;

const OFFSETS_EVERY_MS = 200;

export interface AdmitDeps extends RebuildDeps {
  now: () => number;
  logger: Logger;
  /** After a rebuild the gate is held at least this long (ms): no produce begun before it can land later. */
  holdMs: number;
  offsets: PartitionOffsets;
  /** MySQL's watermark per event (cached): Redis below it has gone back in time. */
  watermarks: Watermarks;
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
function toAdmitted(eventId: string, participantId: string, admission: Admission): Admitted {
  const { outcome, entry, ahead } = admission;
  if (outcome === AdmitOutcome.NOT_OPEN || outcome === AdmitOutcome.HELD) {
    const held = outcome === AdmitOutcome.HELD;
    return { response: { outcome: OUTCOME[outcome], application: undefined }, dependsOnBatch: false, held };
  }
  const stored = parseEntry(entry);
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
  const message = { key: eventId, value };
  return {
    response,
    produced:
      outcome === AdmitOutcome.SOLD_OUT
        ? { participantId, position: stored.position, message, soldOutEntry: entry }
        : { participantId, position: stored.position, message },
    dependsOnBatch: false,
  };
}

/**
 * The gate for one event's share of a batch: ONE admit.lua call (the event's state rebuilt from MySQL first
 * if Redis lost it), every participant answered ACCEPTED / ALREADY_APPLIED / SOLD_OUT / NOT_OPEN, and a
 * Kafka record for each new application (accepted, or answered SOLD_OUT at the gate).
 */
export function createAdmitter(deps: AdmitDeps) {
  /**
   * The highest position seen per event (handed out here, or reported by admit.lua). Positions never go back, so
   * Redis answering a lower `seq` has gone back in time (a lagging replica took over, an older snapshot loaded).
   */
  const highWater = new Map<string, number>();
  const unavailable = (eventId: string) =>
    ServiceError.unavailable(`the line of event ${eventId} is being restored after a Redis failure; retry shortly`);

  /** Per held event: the hold, and the partition's end offset read once `holdMs` had passed. */
  const drainTo = new Map<string, { sinceMs: number; end: number; checkedAt: number }>();

  /**
   * Lifts a rebuild's hold once every position handed out before it is in MySQL: `holdMs` has passed (no produce
   * begun before the hold can still land), then the issuer's group has committed past the partition's end offset
   * read at that time (read once: other events may keep the partition busy), so MySQL's watermark covers every
   * position in Kafka. Until then the event answers UNAVAILABLE.
   */
  const lift = async (eventId: string, sinceMs: number): Promise<void> => {
    const at = deps.now();
    if (at - sinceMs < deps.holdMs) throw unavailable(eventId);
    let target = drainTo.get(eventId);
    // The offsets are read at most every OFFSETS_EVERY_MS per held event, not for every batch of the herd.
    if (target !== undefined && target.sinceMs === sinceMs && at - target.checkedAt < OFFSETS_EVERY_MS)
      throw unavailable(eventId);
    const { end, committed } = await deps.offsets(eventId);
    if (target === undefined || target.sinceMs !== sinceMs) target = { sinceMs, end, checkedAt: at };
    drainTo.set(eventId, { ...target, checkedAt: at });
    if (committed < target.end) throw unavailable(eventId);
    drainTo.delete(eventId);
    const through = await decidedThroughOf(deps.sequelize, eventId);
    if (through === undefined) throw ServiceError.notFound(`event ${eventId} does not exist`);
    await deps.scripts.lift(eventKeys(deps.prefix, eventId), sinceMs, through);
  };

  const gateCall = async (eventId: string, participantIds: string[]): Promise<AdmitResult> => {
    const keys = eventKeys(deps.prefix, eventId);
    for (let attempt = 0; attempt < 3; attempt++) {
      const at = deps.now();
      const seen = highWater.get(eventId) ?? 0;
      const through = await deps.watermarks.decidedThrough(eventId);
      const reply = await deps.scripts.admit(keys, at, { seq: seen, through }, participantIds);
      if (reply.kind === 'admitted') {
        highWater.set(eventId, Math.max(seen, reply.seq));
        return reply;
      }
      if (reply.kind === 'held') {
        await lift(eventId, reply.sinceMs);
        continue;
      }
      if (reply.kind === 'stale') {
        deps.logger.warn({ eventId, seq: reply.seq, seen, through }, "Redis's line went back in time: rebuilding it from MySQL");
      }
      const rebuilt = await rebuildEventState(deps, eventId, {
        minPosition: seen,
        heldSinceMs: at,
        ...(reply.kind === 'stale' ? { force: true, staleEpoch: reply.epoch } : {}),
      });
      if (rebuilt === 'not-found') throw ServiceError.notFound(`event ${eventId} does not exist`);
    }
    throw unavailable(eventId);
  };

  return async function admitShare(eventId: string, participantIds: string[]): Promise<Admitted[]> {
    const { admissions } = await gateCall(eventId, participantIds);
    const newInBatch = new Set<string>();
    return participantIds.map((participantId, i) => {
      const admission = admissions[i] as Admission;
      appliesTotal.inc({ outcome: OUTCOME_LABEL[admission.outcome] });
      const admitted = toAdmitted(eventId, participantId, admission);
      if (admitted.produced) {
        newInBatch.add(participantId);
      } else if (admission.outcome === AdmitOutcome.ALREADY_APPLIED) {
        admitted.dependsOnBatch = newInBatch.has(participantId);
      }
      return admitted;
    });
  };
}

export type AdmitShare = ReturnType<typeof createAdmitter>;
