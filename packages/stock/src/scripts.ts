import { join } from 'node:path';
import { defineLuaScripts } from '@fcfs/kit';
import type { Redis } from 'ioredis';
import type { EventKeys } from './keys';

// lua/ sits next to src/ and dist/, so the same path works from the sources (tests) and the build.
const LUA_DIR = join(__dirname, '..', 'lua');

/** What the gate answered one participant (admit.lua's outcome codes). */
export enum AdmitOutcome {
  ACCEPTED = 1,
  ALREADY_APPLIED = 2,
  SOLD_OUT = 3,
  NOT_OPEN = 4,
  /** In the waiting room (waitroom.lua): stored WAITING, position drawn at the opening. */
  WAITING = 5,
  /** The event opened and its draw is being placed: nothing admitted until it is (retry shortly). */
  HELD = 6,
}

export interface AdmitResult {
  /** The issuer's watermark when admitted (for `ahead`). */
  decidedThrough: number;
  /** The last position handed out after this call (the caller keeps the highest it has seen). */
  seq: number;
  admissions: Admission[];
}

/** What Redis's line may not be below: the last position the caller saw handed out, MySQL's watermark. */
export interface Floors {
  seq: number;
  through: number;
}

/**
 * What admit.lua came to: admitted, or nothing done because the state is missing (rebuild it), stale (`seq`
 * below what the caller has seen: Redis went back in time; rebuild it, forced) or held after a rebuild.
 */
export type AdmitReply =
  | ({ kind: 'admitted' } & AdmitResult)
  | { kind: 'missing' }
  | { kind: 'stale'; seq: number; epoch: string }
  | { kind: 'held'; sinceMs: number };

export interface Admission {
  outcome: AdmitOutcome;
  /** The stored application ('' when NOT_OPEN); parse with parseEntry. */
  entry: string;
  /** PENDING admissions before it in the line (0 unless PENDING). */
  ahead: number;
}

/** One application for decide.lua, in line order. */
export interface DecideItem {
  participantId: string;
  position: number;
  appliedAtMs: number;
  /** Set when the gate already answered SOLD_OUT: its decision time. */
  gateDecidedAtMs: number | undefined;
  /** The code to store if it wins; a remembered decision keeps its own. */
  giftCode: string;
}

export interface DecideResult {
  /** The state's epoch the decisions were made in (see settle). */
  epoch: string;
  stock: number;
  issued: number;
  decidedThrough: number;
  /** The watermark Redis claimed before this call: MySQL's must match (see the issuer's write). */
  issuedBefore: number;
  decidedThroughBefore: number;
  /** Per item: decided by this call (not a remembered decision). */
  fresh: boolean[];
  /** One stored entry per item, in order. */
  entries: string[];
}

/** The hot state written by a rebuild (from MySQL) or when an event is created. */
export interface RebuildState {
  epoch: string;
  stock: number;
  status: string;
  opensAtMs: number | undefined;
  closesAtMs: number | undefined;
  /** The lowest `seq` allowed (positions up to it may have been handed out). */
  lastPosition: number;
  /** Hold the gate from this time (ms) until positions still in Kafka are known (hold.lua); undefined: no hold. */
  heldSinceMs?: number | undefined;
  /** MySQL's count of what is issued. */
  issued: number;
  /** MySQL's watermark: the highest position the issuer has consumed. */
  decidedThrough: number;
  /** The waiting room's opening, when the event has one. */
  waitingRoomOpensAtMs?: number | undefined;
  /** Its draw is placed in line (MySQL `draws.placed_at`); the WAITING are counted over the entries. */
  drawn?: boolean;
  /** Claim windows (claims.lua): the window in seconds (0: none) and the offer cap (0: up to the stock); offers,
   * waitlist and deadlines are recounted over the entries (rebuild.lua). */
  claimWindowSeconds?: number;
  maxOpenOffers?: number;
}

/** One drawn participant for place.lua: their place in the recorded order. */
export interface DrawnPlace {
  participantId: string;
  position: number;
}

/** One operation for claims.lua, in line order (an event with a claim window). */
export interface ClaimOperation {
  kind: 'A' | 'C' | 'D' | 'X' | 'Z' | 'P';
  participantId: string;
  position: number;
  appliedAtMs: number;
  /** A: the gate's decision time or 0; C/D: when asked; X: the claim deadline. */
  atMs: number;
  /** A fresh code for an offer this operation may make. */
  giftCode: string;
}

export interface ClaimsResult {
  epoch: string;
  stock: number;
  issued: number;
  offered: number;
  decidedThrough: number;
  /** The watermark Redis claimed before this call: MySQL's must match (see the issuer's claims/store.ts). */
  issuedBefore: number;
  offeredBefore: number;
  decidedThroughBefore: number;
  /** Each operation's participant with its entry now, then the other entries it changed, in order. */
  changes: { participantId: string; entry: string }[];
}

export interface DueResult {
  /** The line closed with participants still waitlisted: a CLOSE record is due. */
  close: boolean;
  /** false: nothing can happen to the event any more (closed, nothing offered or waitlisted). */
  live: boolean;
  /**
   * Room the earliest WAITLISTED could take now although no operation freed it (an admission ahead of it undone):
   * this many PASS records are due.
   */
  pass: number;
  expired: { participantId: string; claimByMs: number }[];
}

export type ConfigureResult =
  | { kind: 'done' }
  | { kind: 'no-state' }
  /** The stock asked for is below what is taken: issued, and (claim windows) offered. */
  | { kind: 'below-issued'; issued: number; offered: number };

export interface EventSettings {
  status?: string;
  opensAtMs?: number | null;
  closesAtMs?: number | null;
  stock?: number;
}

/** The stock's Lua scripts, registered once per connection, each behind a typed call. */
export interface StockScripts {
  /**
   * The gate. `seen`: the highest `seq` the caller has seen and MySQL's watermark; Redis below either has gone
   * back in time (`stale`).
   */
  admit(keys: EventKeys, nowMs: number, seen: Floors, participantIds: readonly string[]): Promise<AdmitReply>;
  /** Lifts the hold set at `sinceMs` and raises `seq` to MySQL's watermark; false: another hold is in place. */
  lift(keys: EventKeys, sinceMs: number, decidedThrough: number): Promise<boolean>;
  /** Undoes admissions whose produce failed. */
  undo(keys: EventKeys, items: readonly { participantId: string; position: number }[]): Promise<number>;
  /** Forgets gate SOLD_OUT answers never given (their produce failed): only entries still exactly as stored. */
  forget(keys: EventKeys, items: readonly { participantId: string; entry: string }[]): Promise<number>;
  /** Removes and releases orphaned PENDING admissions (still PENDING at that position); resolves to their number. */
  sweep(keys: EventKeys, items: readonly { participantId: string; position: number }[]): Promise<number>;
  /** The issuer's decisions. null: the event has no state (rebuild first). */
  decide(keys: EventKeys, nowMs: number, items: readonly DecideItem[]): Promise<DecideResult | null>;
  /** Right after the MySQL commit: puts back decisions a concurrent rebuild missed; resolves to their number. */
  settle(
    keys: EventKeys,
    epoch: string,
    through: number,
    decided: readonly { participantId: string; entry: string }[],
  ): Promise<number>;
  /**
   * Writes the state and MySQL's decisions in one call (rebuild.lua). false when a state was already there and
   * `force` is not set (force: replace a stale state; with `staleEpoch`, only a state still of that epoch).
   */
  rebuild(
    keys: EventKeys,
    state: RebuildState,
    entries: readonly { participantId: string; entry: string }[],
    options?: { force?: boolean; staleEpoch?: string | undefined },
  ): Promise<boolean>;
  configure(keys: EventKeys, settings: EventSettings): Promise<ConfigureResult>;
  /**
   * Places a draw's participants in line (place.lua), in chunks; `last` on the final chunk opens the gate to later
   * applicants. null: no state (rebuild first). Otherwise the watermark and each participant's entry as it stands.
   */
  place(
    keys: EventKeys,
    nowMs: number,
    drawnCount: number,
    places: readonly DrawnPlace[],
    last: boolean,
  ): Promise<{ decidedThrough: number; entries: string[] } | null>;
  /** Takes back WAITING entries nobody was told about (their MySQL write failed or was refused). */
  unwait(keys: EventKeys, participantIds: readonly string[]): Promise<number>;
  /** Claim windows: the issuer's decisions for an event with a window. null: no state (rebuild first). */
  claims(keys: EventKeys, nowMs: number, ops: readonly ClaimOperation[]): Promise<ClaimsResult | null>;
  /** Claim windows: the offers past their deadline (re-armed `retryMs` later) and whether a close is due. */
  due(keys: EventKeys, nowMs: number, retryMs: number, limit: number): Promise<DueResult>;
}

const file = (name: string) => join(LUA_DIR, `${name}.lua`);
const ms = (value: number | null | undefined) => (value === null || value === undefined ? '' : value);

export function defineStockScripts(redis: Redis): StockScripts {
  const lua = defineLuaScripts(redis, {
    admit: { file: file('admit'), keys: 4 },
    undo: { file: file('undo'), keys: 3 },
    sweep: { file: file('sweep'), keys: 3 },
    forget: { file: file('forget'), keys: 2 },
    decide: { file: file('decide'), keys: 4 },
    settle: { file: file('settle'), keys: 3 },
    rebuild: { file: file('rebuild'), keys: 5 },
    hold: { file: file('hold'), keys: 1 },
    configure: { file: file('configure'), keys: 1 },
    place: { file: file('place'), keys: 3 },
    unwait: { file: file('unwait'), keys: 2 },
    claims: { file: file('claims'), keys: 7 },
    due: { file: file('due'), keys: 4 },
  });

  return {
    async admit(keys, nowMs, seen, participantIds) {
      const reply = (await lua.admit(
        [keys.state, keys.apps, keys.rate(Math.floor(nowMs / 1000)), keys.line],
        [nowMs, seen.seq, seen.through, ...participantIds],
      )) as (number | string)[];
      if (reply[0] === 0) return { kind: 'missing' };
      if (reply[0] === 2) return { kind: 'stale', seq: Number(reply[1]), epoch: String(reply[2]) };
      if (reply[0] === 3) return { kind: 'held', sinceMs: Number(reply[1]) };
      const out: Admission[] = new Array<Admission>(participantIds.length);
      for (let i = 0; i < participantIds.length; i++) {
        out[i] = {
          outcome: reply[3 + 3 * i] as AdmitOutcome,
          entry: reply[4 + 3 * i] as string,
          ahead: Number(reply[5 + 3 * i]),
        };
      }
      return { kind: 'admitted', decidedThrough: Number(reply[1]), seq: Number(reply[2]), admissions: out };
    },

    async lift(keys, sinceMs, decidedThrough) {
      return Number(await lua.hold([keys.state], [sinceMs, decidedThrough])) === 1;
    },

    async undo(keys, items) {
      if (items.length === 0) return 0;
      const args: (string | number)[] = [];
      for (const item of items) args.push(item.participantId, item.position);
      return Number(await lua.undo([keys.state, keys.apps, keys.line], args));
    },

    async forget(keys, items) {
      if (items.length === 0) return 0;
      const args: string[] = [];
      for (const item of items) args.push(item.participantId, item.entry);
      return Number(await lua.forget([keys.state, keys.apps], args));
    },

    async sweep(keys, items) {
      if (items.length === 0) return 0;
      const args: (string | number)[] = [];
      for (const item of items) args.push(item.participantId, item.position);
      return Number(await lua.sweep([keys.state, keys.apps, keys.line], args));
    },

    async decide(keys, nowMs, items) {
      const args: (string | number)[] = [nowMs];
      for (const it of items) args.push(it.participantId, it.position, it.appliedAtMs, it.gateDecidedAtMs ?? 0, it.giftCode);
      const tenth = Math.floor(nowMs / 100);
      const reply = (await lua.decide([keys.state, keys.apps, keys.decisions(tenth), keys.line], args)) as (number | string)[];
      if (reply[0] === 0) return null;
      const fresh = String(reply[7]);
      return {
        epoch: String(reply[1]),
        stock: Number(reply[2]),
        issued: Number(reply[3]),
        decidedThrough: Number(reply[4]),
        issuedBefore: Number(reply[5]),
        decidedThroughBefore: Number(reply[6]),
        fresh: items.map((_, i) => fresh[i] === '1'),
        entries: reply.slice(8) as string[],
      };
    },

    async settle(keys, epoch, through, decided) {
      const args: (string | number)[] = [epoch, through];
      for (const d of decided) args.push(d.participantId, d.entry);
      return Number(await lua.settle([keys.state, keys.apps, keys.line], args));
    },

    async rebuild(keys, s, entries, { force = false, staleEpoch = '' } = {}) {
      const args: (string | number)[] = [
        force ? '1' : '0',
        s.epoch,
        s.stock,
        s.status,
        ms(s.opensAtMs),
        ms(s.closesAtMs),
        s.lastPosition,
        s.issued,
        s.decidedThrough,
        ms(s.heldSinceMs),
        staleEpoch,
        ms(s.waitingRoomOpensAtMs),
        s.drawn === true ? '1' : '',
        s.claimWindowSeconds ?? 0,
        s.maxOpenOffers ?? 0,
      ];
      for (const e of entries) args.push(e.participantId, e.entry);
      const reply = await lua.rebuild([keys.state, keys.apps, keys.line, keys.waitlist, keys.due], args);
      return Number(reply) === 1;
    },

    async configure(keys, settings) {
      const args: (string | number)[] = [];
      if (settings.status !== undefined) args.push('status', settings.status);
      if (settings.opensAtMs !== undefined) args.push('opensAt', ms(settings.opensAtMs));
      if (settings.closesAtMs !== undefined) args.push('closesAt', ms(settings.closesAtMs));
      if (settings.stock !== undefined) args.push('stock', settings.stock);
      const reply = (await lua.configure([keys.state], args)) as number[];
      if (reply[0] === 0) return { kind: 'no-state' };
      if (reply[0] === 2) return { kind: 'below-issued', issued: Number(reply[1]), offered: Number(reply[2] ?? 0) };
      return { kind: 'done' };
    },

    async place(keys, nowMs, drawnCount, places, last) {
      const args: (string | number)[] = [nowMs, drawnCount, last ? '1' : '0'];
      for (const p of places) args.push(p.participantId, p.position);
      const reply = (await lua.place([keys.state, keys.apps, keys.line], args)) as (number | string)[];
      if (reply[0] === 0) return null;
      return { decidedThrough: Number(reply[1]), entries: reply.slice(2) as string[] };
    },

    async unwait(keys, participantIds) {
      if (participantIds.length === 0) return 0;
      return Number(await lua.unwait([keys.state, keys.apps], [...participantIds]));
    },

    async claims(keys, nowMs, ops) {
      const args: (string | number)[] = [nowMs];
      for (const o of ops) args.push(o.kind, o.participantId, o.position, o.appliedAtMs, o.atMs, o.giftCode);
      const tenth = Math.floor(nowMs / 100);
      const reply = (await lua.claims(
        [keys.state, keys.apps, keys.waitlist, keys.due, keys.decisions(tenth), keys.line, keys.passes(tenth)],
        args,
      )) as (number | string)[];
      if (reply[0] === 0) return null;
      const changes: { participantId: string; entry: string }[] = [];
      for (let i = 9; i < reply.length; i += 2) changes.push({ participantId: String(reply[i]), entry: String(reply[i + 1]) });
      return {
        epoch: String(reply[1]),
        stock: Number(reply[2]),
        issued: Number(reply[3]),
        offered: Number(reply[4]),
        decidedThrough: Number(reply[5]),
        issuedBefore: Number(reply[6]),
        offeredBefore: Number(reply[7]),
        decidedThroughBefore: Number(reply[8]),
        changes,
      };
    },

    async due(keys, nowMs, retryMs, limit) {
      const reply = (await lua.due([keys.due, keys.state, keys.waitlist, keys.line], [nowMs, retryMs, limit])) as (
        number | string
      )[];
      const expired: { participantId: string; claimByMs: number }[] = [];
      for (let i = 3; i < reply.length; i += 2)
        expired.push({ participantId: String(reply[i]), claimByMs: Number(reply[i + 1]) });
      return { close: Number(reply[0]) === 1, live: Number(reply[1]) === 1, pass: Number(reply[2]), expired };
    },
  };
}
