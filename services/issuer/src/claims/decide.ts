import { ServiceError } from '@fcfs/kit';
import {
  claimEventsKey,
  eventKeys,
  parseEntry,
  rebuildEventState,
  type ClaimOperation,
  type QueuedApplication,
  type RebuildDeps,
  type StockScripts,
} from '@fcfs/stock';
import { ApplicationStatus } from '@fcfs/proto';
import { newGiftCodes } from '../decisions/gift-codes';
import type { DecidedApplication } from '../decisions/store';
import type { ClaimsClaim } from './store';

export interface ClaimsDeciderDeps extends RebuildDeps {
  scripts: StockScripts;
  now: () => number;
}

const OP_KIND = { CLAIM: 'C', DECLINE: 'D', EXPIRE: 'X', CLOSE: 'Z', PASS: 'P' } as const;

export type ClaimsChunk = {
  epoch: string;
  /** Every transition, in order (a participant may appear more than once: OFFERED, then ISSUED). */
  decided: DecidedApplication[];
  progress: { eventId: string; decidedThrough: number; issued: number; remaining: number };
  /** What Redis claimed: checked against MySQL, the authority, in the write (claims/store.ts). */
  claims: ClaimsClaim;
};

/**
 * Which events have a claim window (the state's `claim` field, set from MySQL at creation and by every
 * rebuild; it never changes), remembered per process, and their decisions through claims.lua.
 */
export function createClaimsDecider(deps: ClaimsDeciderDeps) {
  const { scripts, redis, prefix, now } = deps;
  const windows = new Map<string, number>();

  return {
    /** The event's claim window in seconds (0: none); undefined when the event does not exist. */
    async windowOf(eventId: string, lastPosition = 0): Promise<number | undefined> {
      const known = windows.get(eventId);
      if (known !== undefined) return known;
      const keys = eventKeys(prefix, eventId);
      let v = await redis.hmget(keys.state, 'ready', 'claim');
      if (v[0] === null) {
        const rebuilt = await rebuildEventState(deps, eventId, { minPosition: lastPosition, heldSinceMs: now() });
        if (rebuilt === 'not-found') return undefined;
        v = await redis.hmget(keys.state, 'ready', 'claim');
        if (v[0] === null) return undefined;
      }
      const window = Number(v[1] ?? 0) || 0;
      windows.set(eventId, window);
      return window;
    },

    async decide(eventId: string, records: readonly QueuedApplication[]): Promise<ClaimsChunk> {
      const keys = eventKeys(prefix, eventId);
      const codes = newGiftCodes(records.length);
      const ops: ClaimOperation[] = records.map((r, i) => ({
        kind: r.claim === undefined ? 'A' : OP_KIND[r.claim.kind],
        participantId: r.participantId,
        position: r.position,
        appliedAtMs: r.appliedAtMs,
        atMs: r.claim?.atMs ?? r.gateDecidedAtMs ?? 0,
        giftCode: codes[i] as string,
      }));
      let result = await scripts.claims(keys, now(), ops);
      if (result === null) {
        await rebuildEventState(deps, eventId, {
          minPosition: records.reduce((max, r) => Math.max(max, r.position), 0),
          heldSinceMs: now(),
        });
        result = await scripts.claims(keys, now(), ops);
        if (result === null) throw ServiceError.unavailable(`the state of event ${eventId} is missing right after its rebuild`);
      }
      // The deadline poller's list of events to watch (a key outside the event's slot, so not in claims.lua),
      // after every chunk: the poller drops an event that has nothing open, and it may open again.
      await redis.sadd(claimEventsKey(prefix), eventId);
      const decided: DecidedApplication[] = [];
      for (const { participantId, entry } of result.changes) {
        if (entry === '') continue;
        const app = parseEntry(entry);
        // A stale application record (its admission was undone and re-made): nothing to write or tell.
        if (app.status === ApplicationStatus.APPLICATION_STATUS_PENDING) continue;
        decided.push({ eventId, participantId, app });
      }
      const applies = records.filter((r) => r.claim === undefined);
      return {
        epoch: result.epoch,
        decided,
        claims: {
          issuedBefore: result.issuedBefore,
          offeredBefore: result.offeredBefore,
          decidedThroughBefore: result.decidedThroughBefore,
          issuedAfter: result.issued,
          offeredAfter: result.offered,
          // The watermark moves with the applications only (a claim's position was consumed with its apply).
          lastPosition: applies.reduce((max, r) => Math.max(max, r.position), 0),
        },
        progress: {
          eventId,
          decidedThrough: result.decidedThrough,
          issued: result.issued,
          remaining: Math.max(0, result.stock - result.issued - result.offered),
        },
      };
    },
  };
}

export type ClaimsDecider = ReturnType<typeof createClaimsDecider>;
