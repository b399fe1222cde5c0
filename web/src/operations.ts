// Every GraphQL document the page sends (the contract: shared/api/schema.graphql).

const EVENT_FIELDS = 'id name status stock remaining opensAt closesAt waitingRoomOpensAt claimWindowSeconds maxOpenOffers';
const APPLICATION_FIELDS = 'eventId status position ahead appliedAt decidedAt giftCode claimBy estimatedWaitSeconds redeemedAt';

export const SEND_CODE = 'mutation SendCode($email: String!) { sendVerificationCode(email: $email) { ok expiresInSeconds } }';
export const VERIFY_CODE = `mutation VerifyCode($email: String!, $code: String!) {
  verifyCode(email: $email, code: $code) { token expiresAt participant { id email isAdmin } }
}`;
export const EVENTS = `query Events { events { ${EVENT_FIELDS} } }`;
export const EVENT = `query Event($id: ID!) { event(id: $id) { ${EVENT_FIELDS} } }`;
export const MY_APPLICATION = `query MyApplication($eventId: ID!) { myApplication(eventId: $eventId) { ${APPLICATION_FIELDS} } }`;
export const APPLY = `mutation Apply($eventId: ID!) { apply(eventId: $eventId) { outcome application { ${APPLICATION_FIELDS} } } }`;
export const APPLICATION_STATUS = `subscription ApplicationStatus($eventId: ID!) { applicationStatus(eventId: $eventId) { ${APPLICATION_FIELDS} } }`;
export const CLAIM = `mutation Claim($eventId: ID!) { claimGift(eventId: $eventId) { ${APPLICATION_FIELDS} } }`;
export const DECLINE = `mutation Decline($eventId: ID!) { declineGift(eventId: $eventId) { ${APPLICATION_FIELDS} } }`;

export const CREATE_EVENT = `mutation CreateEvent($input: CreateEventInput!) { createEvent(input: $input) { ${EVENT_FIELDS} } }`;
export const OPEN_EVENT = `mutation OpenEvent($eventId: ID!) { openEvent(eventId: $eventId) { ${EVENT_FIELDS} } }`;
export const CLOSE_EVENT = `mutation CloseEvent($eventId: ID!) { closeEvent(eventId: $eventId) { ${EVENT_FIELDS} } }`;
export const SET_STOCK = `mutation SetStock($eventId: ID!, $stock: Int!) { setStock(eventId: $eventId, stock: $stock) { ${EVENT_FIELDS} } }`;
const STATS_FIELDS =
  'eventId stock remaining admitted pending issued soldOut lag appliesPerSecond decisionsPerSecond waiting waitlisted offered expired redeemed emailsSent emailsPending emailsFailed';
export const EVENT_STATS = `subscription EventStats($eventId: ID!) { eventStats(eventId: $eventId) { ${STATS_FIELDS} } }`;
export const GIFTS = `query Gifts($eventId: ID!, $after: String) {
  gifts(eventId: $eventId, first: 100, after: $after) { next gifts { code position issuedAt redeemedAt participant { id email } } }
}`;
export const REDEEM =
  'mutation Redeem($code: String!) { redeemGift(code: $code) { code eventId position redeemedAt participant { email } } }';

export type EventStatus = 'DRAFT' | 'SCHEDULED' | 'OPEN' | 'SOLD_OUT' | 'CLOSED';
export type ApplicationStatus = 'WAITING' | 'PENDING' | 'WAITLISTED' | 'OFFERED' | 'ISSUED' | 'EXPIRED' | 'SOLD_OUT';
export type ApplyOutcome = 'ACCEPTED' | 'ALREADY_APPLIED' | 'SOLD_OUT' | 'WAITING' | 'NOT_OPEN';

export interface EventInfo {
  id: string;
  name: string;
  status: EventStatus;
  stock: number;
  remaining: number;
  opensAt: string | null;
  closesAt: string | null;
  waitingRoomOpensAt: string | null;
  claimWindowSeconds: number;
  maxOpenOffers: number | null;
}

export interface Application {
  eventId: string;
  status: ApplicationStatus;
  position: number;
  ahead: number | null;
  appliedAt: string;
  decidedAt: string | null;
  giftCode: string | null;
  claimBy: string | null;
  estimatedWaitSeconds: number | null;
  redeemedAt: string | null;
}

export interface EventStats {
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
  waiting: number;
  waitlisted: number;
  offered: number;
  expired: number;
  redeemed: number;
  emailsSent: number;
  emailsPending: number;
  emailsFailed: number;
}

export interface Gift {
  code: string;
  position: number;
  issuedAt: string;
  redeemedAt: string | null;
  participant: { id: string; email: string };
}
