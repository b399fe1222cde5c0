// Proto messages to the shapes of the public GraphQL contract. Times stay epoch
// milliseconds here; the DateTime scalar renders them as ISO-8601.
import {
  ApplicationStatus as ProtoApplicationStatus,
  ApplyOutcome as ProtoApplyOutcome,
  EventStatus as ProtoEventStatus,
  type Application as ProtoApplication,
  type ApplyResponse,
  type Decision,
  type Event as ProtoEvent,
  type EventStats as ProtoEventStats,
  type Gift as ProtoGift,
  type Participant as ProtoParticipant,
} from '@fcfs/proto';

export type ApplicationStatus = 'WAITING' | 'PENDING' | 'WAITLISTED' | 'OFFERED' | 'ISSUED' | 'EXPIRED' | 'SOLD_OUT';
export type EventStatus = 'DRAFT' | 'SCHEDULED' | 'OPEN' | 'SOLD_OUT' | 'CLOSED';
export type ApplyOutcome = 'ACCEPTED' | 'ALREADY_APPLIED' | 'SOLD_OUT' | 'WAITING' | 'NOT_OPEN';

export interface ApplicationView {
  eventId: string;
  status: ApplicationStatus;
  position: number;
  ahead: number | null;
  appliedAt: number;
  decidedAt: number | null;
  giftCode: string | null;
  /** While WAITING or PENDING: from the line's pace (issue #17); null when unknown. */
  estimatedWaitSeconds: number | null;
  /** The pace that estimate came from (positions per second; 0 unknown): a live view rescales it as `ahead` falls. */
  linePace: number;
  /** While OFFERED: the claim deadline (ms). */
  claimBy: number | null;
}

export interface EventView {
  id: string;
  name: string;
  status: EventStatus;
  stock: number;
  remaining: number;
  opensAt: number | null;
  closesAt: number | null;
  waitingRoomOpensAt: number | null;
  estimatedDrainSeconds: number | null;
  claimWindowSeconds: number;
  maxOpenOffers: number | null;
}

export interface ParticipantView {
  id: string;
  email: string;
  isAdmin: boolean;
}

export interface ApplyResultView {
  outcome: ApplyOutcome;
  application: ApplicationView | null;
}

export interface EventStatsView {
  eventId: string;
  stock: number;
  remaining: number;
  admitted: number;
  pending: number;
  issued: number;
  soldOut: number;
  lag: number;
  appliesPerSecond: number;
  decisionsPerSecond: number;
  redeemed: number;
  emailsSent: number;
  emailsPending: number;
  emailsFailed: number;
  waiting: number;
  waitlisted: number;
  offered: number;
  expired: number;
}

export interface GiftView {
  code: string;
  eventId: string;
  participantId: string;
  position: number;
  issuedAt: number;
  redeemedAt: number | null;
}

export function applicationStatus(status: ProtoApplicationStatus): ApplicationStatus {
  switch (status) {
    case ProtoApplicationStatus.APPLICATION_STATUS_ISSUED:
      return 'ISSUED';
    case ProtoApplicationStatus.APPLICATION_STATUS_SOLD_OUT:
      return 'SOLD_OUT';
    case ProtoApplicationStatus.APPLICATION_STATUS_WAITING:
      return 'WAITING';
    case ProtoApplicationStatus.APPLICATION_STATUS_WAITLISTED:
      return 'WAITLISTED';
    case ProtoApplicationStatus.APPLICATION_STATUS_OFFERED:
      return 'OFFERED';
    case ProtoApplicationStatus.APPLICATION_STATUS_EXPIRED:
      return 'EXPIRED';
    default:
      return 'PENDING';
  }
}

/**
 * How far an application has come: it only ever moves forward (WAITING in a waiting room, PENDING, then WAITLISTED,
 * then OFFERED with a claim window, then a final state), so a newer view is one of a higher stage and an older one
 * never replaces it.
 */
const FINAL = 4;
const STAGE: Record<ApplicationStatus, number> = {
  WAITING: 0,
  PENDING: 1,
  WAITLISTED: 2,
  OFFERED: 3,
  ISSUED: FINAL,
  EXPIRED: FINAL,
  SOLD_OUT: FINAL,
};

export function stageOf(app: ApplicationView): number {
  return STAGE[app.status];
}

export function isFinal(app: ApplicationView): boolean {
  return STAGE[app.status] === FINAL;
}

export function toApplication(a: ProtoApplication): ApplicationView {
  const status = applicationStatus(a.status);
  return {
    eventId: a.eventId,
    status,
    position: a.position,
    ahead: status === 'PENDING' ? (a.ahead ?? null) : null,
    appliedAt: a.appliedAtMs,
    decidedAt: status === 'PENDING' ? null : (a.decidedAtMs ?? null),
    giftCode: status === 'ISSUED' ? (a.giftCode ?? null) : null,
    estimatedWaitSeconds: isFinal({ status } as ApplicationView) ? null : (a.estimatedWaitSeconds ?? null),
    linePace: a.linePace ?? 0,
    claimBy: status === 'OFFERED' ? (a.claimByMs ?? null) : null,
  };
}

export function decisionToApplication(d: Decision): ApplicationView {
  const status = applicationStatus(d.status);
  return {
    eventId: d.eventId,
    status,
    position: d.position,
    ahead: null,
    appliedAt: d.appliedAtMs,
    decidedAt: d.decidedAtMs || null,
    giftCode: status === 'ISSUED' ? (d.giftCode ?? null) : null,
    estimatedWaitSeconds: null,
    linePace: 0,
    claimBy: status === 'OFFERED' ? (d.claimByMs ?? null) : null,
  };
}

const EVENT_STATUS: Record<number, EventStatus> = {
  [ProtoEventStatus.EVENT_STATUS_DRAFT]: 'DRAFT',
  [ProtoEventStatus.EVENT_STATUS_SCHEDULED]: 'SCHEDULED',
  [ProtoEventStatus.EVENT_STATUS_OPEN]: 'OPEN',
  [ProtoEventStatus.EVENT_STATUS_SOLD_OUT]: 'SOLD_OUT',
  [ProtoEventStatus.EVENT_STATUS_CLOSED]: 'CLOSED',
};

export function toEvent(e: ProtoEvent): EventView {
  return {
    id: e.id,
    name: e.name,
    status: EVENT_STATUS[e.status] ?? 'DRAFT',
    stock: e.stock,
    remaining: e.remaining,
    opensAt: e.opensAtMs ?? null,
    closesAt: e.closesAtMs ?? null,
    waitingRoomOpensAt: e.waitingRoomOpensAtMs ?? null,
    estimatedDrainSeconds: e.estimatedDrainSeconds ?? null,
    claimWindowSeconds: e.claimWindowSeconds,
    maxOpenOffers: e.maxOpenOffers ?? null,
  };
}

export function toParticipant(p: ProtoParticipant): ParticipantView {
  return { id: p.id, email: p.email, isAdmin: p.isAdmin };
}

const OUTCOME: Record<number, ApplyOutcome> = {
  [ProtoApplyOutcome.APPLY_OUTCOME_ACCEPTED]: 'ACCEPTED',
  [ProtoApplyOutcome.APPLY_OUTCOME_ALREADY_APPLIED]: 'ALREADY_APPLIED',
  [ProtoApplyOutcome.APPLY_OUTCOME_SOLD_OUT]: 'SOLD_OUT',
  [ProtoApplyOutcome.APPLY_OUTCOME_NOT_OPEN]: 'NOT_OPEN',
  [ProtoApplyOutcome.APPLY_OUTCOME_WAITING]: 'WAITING',
};

export function toApplyResult(r: ApplyResponse): ApplyResultView {
  const outcome = OUTCOME[r.outcome];
  if (outcome === undefined) throw new Error(`unknown apply outcome ${r.outcome}`);
  return { outcome, application: r.application ? toApplication(r.application) : null };
}

export function toEventStats(s: ProtoEventStats): EventStatsView {
  return {
    eventId: s.eventId,
    stock: s.stock,
    remaining: s.remaining,
    admitted: s.admitted,
    pending: s.pending,
    issued: s.issued,
    soldOut: s.soldOut,
    lag: s.lag,
    appliesPerSecond: s.appliesPerSecond,
    decisionsPerSecond: s.decisionsPerSecond,
    redeemed: s.redeemed,
    emailsSent: s.emailsSent,
    emailsPending: s.emailsPending,
    emailsFailed: s.emailsFailed,
    waiting: s.waiting,
    waitlisted: s.waitlisted,
    offered: s.offered,
    expired: s.expired,
  };
}

export function toGift(g: ProtoGift): GiftView {
  return {
    code: g.code,
    eventId: g.eventId,
    participantId: g.participantId,
    position: g.position,
    issuedAt: g.issuedAtMs,
    redeemedAt: g.redeemedAtMs ?? null,
  };
}
