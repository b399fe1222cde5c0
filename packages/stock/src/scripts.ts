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
}

export interface AdmitResult {
  /** The issuer's watermark when admitted (for `ahead`). */
  decidedThrough: number;
  admissions: Admission[];
}

export interface Admission {
  outcome: AdmitOutcome;
  /** The stored application ('' when NOT_OPEN); parse with parseEntry. */
  entry: string;
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
  lastPosition: number;
  issued: number;
  soldOut: number;
  decidedThrough: number;
  /** Claim windows (claims.lua): the window in seconds (0: none) and the offer cap (0: up to the stock). */
  claimWindowSeconds?: number;
  maxOpenOffers?: number;
  /** Claim windows: applications OFFERED, WAITLISTED and EXPIRED in MySQL. */
  offered?: number;
  waitlisted?: number;
  expired?: number;
}

/** One operation for claims.lua, in line order (an event with a claim window). */
export interface ClaimOperation {
  kind: 'A' | 'C' | 'D' | 'X' | 'Z';
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
  /** Each operation's participant with its entry now, then the other entries it changed, in order. */
  changes: { participantId: string; entry: string }[];
}

export interface DueResult {
  /** The line closed with participants still waitlisted: a CLOSE record is due. */
  close: boolean;
  /** false: nothing can happen to the event any more (closed, nothing offered or waitlisted). */
  live: boolean;
  expired: { participantId: string; claimByMs: number }[];
}

export type ConfigureResult = { kind: 'done' } | { kind: 'no-state' } | { kind: 'below-issued'; issued: number };

export interface EventSettings {
  status?: string;
  opensAtMs?: number | null;
  closesAtMs?: number | null;
  stock?: number;
}

/** The stock's Lua scripts, registered once per connection, each behind a typed call. */
export interface StockScripts {
  /** The gate. null: the event has no state (unknown, or lost: rebuild first). */
  admit(keys: EventKeys, nowMs: number, participantIds: readonly string[]): Promise<AdmitResult | null>;
  /** Undoes admissions whose produce failed. */
  undo(keys: EventKeys, items: readonly { participantId: string; position: number }[]): Promise<number>;
  /** Removes and releases orphaned PENDING admissions (still PENDING at that position); resolves to their number. */
  sweep(keys: EventKeys, items: readonly { participantId: string; position: number }[]): Promise<number>;
  /** The issuer's decisions. null: the event has no state (rebuild first). */
  decide(keys: EventKeys, nowMs: number, items: readonly DecideItem[]): Promise<DecideResult | null>;
  /** Right after the MySQL commit: puts back decisions a concurrent rebuild missed; resolves to their number. */
  settle(keys: EventKeys, epoch: string, decided: readonly { participantId: string; entry: string }[]): Promise<number>;
  restore(keys: EventKeys, entries: readonly { participantId: string; entry: string }[]): Promise<number>;
  /** false when a state was already there. */
  rebuild(keys: EventKeys, state: RebuildState): Promise<boolean>;
  configure(keys: EventKeys, settings: EventSettings): Promise<ConfigureResult>;
  /** Claim windows: the issuer's decisions for an event with a window. null: no state (rebuild first). */
  claims(keys: EventKeys, nowMs: number, ops: readonly ClaimOperation[]): Promise<ClaimsResult | null>;
  /** Claim windows: the offers past their deadline (re-armed `retryMs` later) and whether a close is due. */
  due(keys: EventKeys, nowMs: number, retryMs: number, limit: number): Promise<DueResult>;
}

const file = (name: string) => join(LUA_DIR, `${name}.lua`);
const ms = (value: number | null | undefined) => (value === null || value === undefined ? '' : value);

export function defineStockScripts(redis: Redis): StockScripts {
  const lua = defineLuaScripts(redis, {
    admit: { file: file('admit'), keys: 3 },
    undo: { file: file('undo'), keys: 2 },
    sweep: { file: file('sweep'), keys: 2 },
    decide: { file: file('decide'), keys: 3 },
    settle: { file: file('settle'), keys: 2 },
    restore: { file: file('restore'), keys: 1 },
    rebuild: { file: file('rebuild'), keys: 1 },
    configure: { file: file('configure'), keys: 1 },
    claims: { file: file('claims'), keys: 5 },
    due: { file: file('due'), keys: 2 },
  });

  return {
    async admit(keys, nowMs, participantIds) {
      const reply = (await lua.admit(
        [keys.state, keys.apps, keys.rate(Math.floor(nowMs / 1000))],
        [nowMs, ...participantIds],
      )) as (number | string)[];
      if (reply[0] === 0) return null;
      const out: Admission[] = new Array<Admission>(participantIds.length);
      for (let i = 0; i < participantIds.length; i++) {
        out[i] = { outcome: reply[2 + 2 * i] as AdmitOutcome, entry: reply[3 + 2 * i] as string };
      }
      return { decidedThrough: Number(reply[1]), admissions: out };
    },

    async undo(keys, items) {
      if (items.length === 0) return 0;
      const args: (string | number)[] = [];
      for (const item of items) args.push(item.participantId, item.position);
      return Number(await lua.undo([keys.state, keys.apps], args));
    },

    async sweep(keys, items) {
      if (items.length === 0) return 0;
      const args: (string | number)[] = [];
      for (const item of items) args.push(item.participantId, item.position);
      return Number(await lua.sweep([keys.state, keys.apps], args));
    },

    async decide(keys, nowMs, items) {
      const args: (string | number)[] = [nowMs];
      for (const it of items) args.push(it.participantId, it.position, it.appliedAtMs, it.gateDecidedAtMs ?? 0, it.giftCode);
      const second = Math.floor(nowMs / 1000);
      const reply = (await lua.decide([keys.state, keys.apps, keys.decisions(second)], args)) as (number | string)[];
      if (reply[0] === 0) return null;
      return {
        epoch: String(reply[1]),
        stock: Number(reply[2]),
        issued: Number(reply[3]),
        decidedThrough: Number(reply[4]),
        entries: reply.slice(5) as string[],
      };
    },

    async settle(keys, epoch, decided) {
      const args: string[] = [epoch];
      for (const d of decided) args.push(d.participantId, d.entry);
      return Number(await lua.settle([keys.state, keys.apps], args));
    },

    async restore(keys, entries) {
      let written = 0;
      for (let i = 0; i < entries.length; i += 5_000) {
        const args: string[] = [];
        for (const e of entries.slice(i, i + 5_000)) args.push(e.participantId, e.entry);
        written += Number(await lua.restore([keys.apps], args));
      }
      return written;
    },

    async rebuild(keys, s) {
      const reply = await lua.rebuild(
        [keys.state],
        [
          s.epoch,
          s.stock,
          s.status,
          ms(s.opensAtMs),
          ms(s.closesAtMs),
          s.lastPosition,
          s.issued,
          s.soldOut,
          s.decidedThrough,
          s.claimWindowSeconds ?? 0,
          s.maxOpenOffers ?? 0,
          s.offered ?? 0,
          s.waitlisted ?? 0,
          s.expired ?? 0,
        ],
      );
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
      if (reply[0] === 2) return { kind: 'below-issued', issued: Number(reply[1]) };
      return { kind: 'done' };
    },

    async claims(keys, nowMs, ops) {
      const args: (string | number)[] = [nowMs];
      for (const o of ops) args.push(o.kind, o.participantId, o.position, o.appliedAtMs, o.atMs, o.giftCode);
      const second = Math.floor(nowMs / 1000);
      const reply = (await lua.claims([keys.state, keys.apps, keys.waitlist, keys.due, keys.decisions(second)], args)) as (
        number | string
      )[];
      if (reply[0] === 0) return null;
      const changes: { participantId: string; entry: string }[] = [];
      for (let i = 6; i < reply.length; i += 2) changes.push({ participantId: String(reply[i]), entry: String(reply[i + 1]) });
      return {
        epoch: String(reply[1]),
        stock: Number(reply[2]),
        issued: Number(reply[3]),
        offered: Number(reply[4]),
        decidedThrough: Number(reply[5]),
        changes,
      };
    },

    async due(keys, nowMs, retryMs, limit) {
      const reply = (await lua.due([keys.due, keys.state], [nowMs, retryMs, limit])) as (number | string)[];
      const expired: { participantId: string; claimByMs: number }[] = [];
      for (let i = 2; i < reply.length; i += 2)
        expired.push({ participantId: String(reply[i]), claimByMs: Number(reply[i + 1]) });
      return { close: Number(reply[0]) === 1, live: Number(reply[1]) === 1, expired };
    },
  };
}
