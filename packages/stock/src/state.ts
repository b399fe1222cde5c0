import type { Redis } from 'ioredis';
import type { EventKeys } from './keys';

/** One event's hot state as Redis holds it (see keys.ts). */
export interface HotState {
  epoch: string;
  stock: number;
  status: string;
  opensAtMs: number | undefined;
  closesAtMs: number | undefined;
  /** The last position handed out (accepted or answered SOLD_OUT at the gate). */
  seq: number;
  /** Applications accepted into the line. */
  admitted: number;
  /** Admissions that ended without taking stock (undone, or SOLD_OUT at the issuer): they reopen the gate. */
  released: number;
  pending: number;
  issued: number;
  soldOut: number;
  /** The issuer's watermark: the highest position it has decided. */
  decidedThrough: number;
  /** The waiting room's opening (issue #17), when the event has one. */
  waitingRoomOpensAtMs: number | undefined;
  /** The waiting room's draw is placed in line: later applicants are admitted after it. */
  drawn: boolean;
  /** Participants in the waiting room now. */
  waiting: number;
  /** Claim windows: applications WAITLISTED, OFFERED and EXPIRED now (0 without a window). */
  waitlisted: number;
  offered: number;
  expired: number;
  /** The claim window in seconds; 0 without one (every win final at once). */
  claimWindowSeconds: number;
}

const FIELDS = [
  'ready',
  'epoch',
  'stock',
  'status',
  'opensAt',
  'closesAt',
  'seq',
  'admitted',
  'released',
  'pending',
  'issued',
  'soldout',
  'through',
  'wr',
  'drawn',
  'waiting',
  'waitlisted',
  'offered',
  'expired',
  'claim',
];

const int = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? 0 : Number(v));
const optionalMs = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? undefined : Number(v));

/** The event's hot state, or undefined when Redis holds none (unknown event, or lost: rebuild it). */
export async function readHotState(redis: Redis, keys: EventKeys): Promise<HotState | undefined> {
  const v = await redis.hmget(keys.state, ...FIELDS);
  if (v[0] === null) return undefined;
  return {
    epoch: v[1] ?? '',
    stock: int(v[2]),
    status: v[3] ?? '',
    opensAtMs: optionalMs(v[4]),
    closesAtMs: optionalMs(v[5]),
    seq: int(v[6]),
    admitted: int(v[7]),
    released: int(v[8]),
    pending: int(v[9]),
    issued: int(v[10]),
    soldOut: int(v[11]),
    decidedThrough: int(v[12]),
    waitingRoomOpensAtMs: optionalMs(v[13]),
    drawn: (v[14] ?? '') !== '',
    waiting: int(v[15]),
    waitlisted: int(v[16]),
    offered: int(v[17]),
    expired: int(v[18]),
    claimWindowSeconds: int(v[19]),
  };
}
