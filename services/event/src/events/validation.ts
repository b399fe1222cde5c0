import { ServiceError } from '@fcfs/kit';

export const MAX_STOCK = 1_000_000;
export const MAX_NAME_LENGTH = 200;
// Far enough for any real event, small enough for a DATETIME(3) and a JS Date.
const MAX_TIME_MS = Date.UTC(9000, 0, 1);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function parseName(raw: unknown): string {
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (name.length === 0) throw ServiceError.invalidArgument('name must not be empty');
  if (name.length > MAX_NAME_LENGTH) throw ServiceError.invalidArgument(`name must be at most ${MAX_NAME_LENGTH} characters`);
  if (CONTROL.test(name)) throw ServiceError.invalidArgument('name must not contain control characters');
  return name;
}

export function parseStock(raw: unknown): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw)) throw ServiceError.invalidArgument('stock must be an integer');
  if (raw < 0) throw ServiceError.invalidArgument('stock must not be negative');
  if (raw > MAX_STOCK) throw ServiceError.invalidArgument(`stock must be at most ${MAX_STOCK.toLocaleString('en')}`);
  return raw;
}

function parseTime(raw: number | undefined, field: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!Number.isSafeInteger(raw) || raw <= 0 || raw > MAX_TIME_MS) {
    throw ServiceError.invalidArgument(`${field} must be a time in epoch milliseconds`);
  }
  return raw;
}

export interface Schedule {
  opensAtMs: number | undefined;
  closesAtMs: number | undefined;
}

export function parseSchedule(opensAtMs: number | undefined, closesAtMs: number | undefined, nowMs: number): Schedule {
  const opens = parseTime(opensAtMs, 'opensAt');
  const closes = parseTime(closesAtMs, 'closesAt');
  if (closes !== undefined && closes <= nowMs) throw ServiceError.invalidArgument('closesAt must be in the future');
  if (opens !== undefined && closes !== undefined && closes <= opens) {
    throw ServiceError.invalidArgument('closesAt must be after opensAt');
  }
  return { opensAtMs: opens, closesAtMs: closes };
}

/**
 * The waiting room's opening (issue #17): needs opensAt, and must come before it; unset means no waiting room.
 * A time already passed is allowed (the room is open now), as long as opensAt is still ahead.
 */
export function parseWaitingRoom(raw: number | undefined, opensAtMs: number | undefined, nowMs: number): number | undefined {
  const at = parseTime(raw, 'waitingRoomOpensAt');
  if (at === undefined) return undefined;
  if (opensAtMs === undefined)
    throw ServiceError.invalidArgument('waitingRoomOpensAt needs opensAt: the draw happens at the opening');
  if (at >= opensAtMs) throw ServiceError.invalidArgument('waitingRoomOpensAt must be before opensAt');
  if (opensAtMs <= nowMs) throw ServiceError.invalidArgument('opensAt must be in the future for an event with a waiting room');
  return at;
}

/** Longest claim window: a day. */
export const MAX_CLAIM_WINDOW_SECONDS = 86_400;

export interface ClaimSettings {
  claimWindowSeconds: number;
  maxOpenOffers: number | null;
}

/** A claim window (0 or absent: none) and its offer cap (only with a window; absent: up to the stock). */
export function parseClaimSettings(window: number | undefined, maxOffers: number | undefined): ClaimSettings {
  const seconds = window ?? 0;
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_CLAIM_WINDOW_SECONDS) {
    throw ServiceError.invalidArgument(`claimWindowSeconds must be a whole number from 0 to ${MAX_CLAIM_WINDOW_SECONDS}`);
  }
  if (maxOffers === undefined) return { claimWindowSeconds: seconds, maxOpenOffers: null };
  if (seconds === 0) throw ServiceError.invalidArgument('maxOpenOffers needs a claim window (claimWindowSeconds > 0)');
  if (!Number.isInteger(maxOffers) || maxOffers < 1 || maxOffers > MAX_STOCK) {
    throw ServiceError.invalidArgument(`maxOpenOffers must be a whole number from 1 to ${MAX_STOCK.toLocaleString('en')}`);
  }
  return { claimWindowSeconds: seconds, maxOpenOffers: maxOffers };
}
