import { ServiceError } from '@fcfs/kit';
import {
  decisionsMessage,
  eventKeys,
  parseEntry,
  progressMessage,
  rebuildEventState,
  toDecision,
  type QueuedApplication,
  type StockScripts,
  type RebuildDeps,
} from '@fcfs/stock';
import { ApplicationStatus, type Progress } from '@fcfs/proto';
import { createClaimsDecider } from '../claims/decide';
import { writeClaimTransitions, type ClaimsClaim } from '../claims/store';
import { newGiftCodes } from './gift-codes';
import { writeDecisions, type DecidedApplication, type RedisClaim, type WriteOutcome } from './store';

export interface DeciderDeps extends RebuildDeps {
  scripts: StockScripts;
  now: () => number;
  /** Called after each chunk's MySQL commit (the notifier has new outbox rows). */
  onWritten?: () => void;
}

export type ChunkDecision =
  | ({
      kind: 'decided';
      eventId: string;
      epoch: string;
      decided: DecidedApplication[];
      entries: string[];
      progress: Progress;
    } & (
      | {
          /** What Redis claimed: checked against MySQL in the write. */
          claim: RedisClaim;
          claims?: undefined;
        }
      | {
          /** An event with a claim window: decided by claims.lua, written (and checked) by claims/store.ts. */
          claims: ClaimsClaim;
          claim?: undefined;
        }
    ))
  | { kind: 'unknown-event'; eventId: string };

/**
 * The issuer's steps for one chunk of one event's applications, each safe to repeat: decide (one Lua call,
 * rebuilding the event's state from MySQL first if Redis lost it), write (one MySQL transaction that checks
 * Redis's claim against MySQL, the authority: `stale` means rebuild with `rebuildStale` and decide again),
 * settle (repair the state if a rebuild raced the write), publish (live status).
 */
export function createDecider(deps: DeciderDeps) {
  const { scripts, redis, prefix, now } = deps;
  const claims = createClaimsDecider(deps);

  return {
    async decide(eventId: string, records: readonly QueuedApplication[]): Promise<ChunkDecision> {
      // Claim windows (#17): their own script and writes; every other event is decided below, as always.
      const window = await claims.windowOf(
        eventId,
        records.reduce((max, r) => Math.max(max, r.position), 0),
      );
      if (window === undefined) return { kind: 'unknown-event', eventId };
      if (window > 0) {
        const chunk = await claims.decide(eventId, records);
        return { kind: 'decided', eventId, ...chunk, entries: [] };
      }
      // Claim, decline, expiry or close records have no meaning without a window: nothing to decide.
      records = records.filter((r) => r.claim === undefined);
      const keys = eventKeys(prefix, eventId);
      const codes = newGiftCodes(records.length);
      const items = records.map((r, i) => ({
        participantId: r.participantId,
        position: r.position,
        appliedAtMs: r.appliedAtMs,
        gateDecidedAtMs: r.gateDecidedAtMs,
        giftCode: codes[i] as string,
      }));
      let result = await scripts.decide(keys, now(), items);
      if (result === null) {
        const minPosition = lastPositionOf(records);
        const rebuilt = await rebuildEventState(deps, eventId, { minPosition, heldSinceMs: now() });
        if (rebuilt === 'not-found') return { kind: 'unknown-event', eventId };
        result = await scripts.decide(keys, now(), items);
        // Lost again at once (Redis flushed meanwhile): the consumer retries the step.
        if (result === null) throw ServiceError.unavailable(`the state of event ${eventId} is missing right after its rebuild`);
      }
      // A record left PENDING was not its participant's live admission (decide.lua): nothing to write or tell.
      const decided: DecidedApplication[] = [];
      const entries: string[] = [];
      const fresh = new Set<string>();
      result.entries.forEach((entry, i) => {
        const app = parseEntry(entry);
        // Still WAITING (issue #17): Redis lost a waiting room's placement after this record was produced; the drawer
        // places and produces it again, and that record decides it.
        if (
          app.status === ApplicationStatus.APPLICATION_STATUS_PENDING ||
          app.status === ApplicationStatus.APPLICATION_STATUS_WAITING
        )
          return;
        const { participantId } = records[i] as QueuedApplication;
        decided.push({ eventId, participantId, app });
        entries.push(entry);
        if (result.fresh[i] === true) fresh.add(participantId);
      });
      const claim: RedisClaim = {
        issuedAfter: result.issued,
        decidedThroughBefore: result.decidedThroughBefore,
        lastPosition: lastPositionOf(records),
        fresh,
      };
      const progress = {
        eventId,
        decidedThrough: result.decidedThrough,
        issued: result.issued,
        remaining: Math.max(0, result.stock - result.issued),
      };
      return { kind: 'decided', eventId, epoch: result.epoch, decided, entries, progress, claim };
    },

    /** One MySQL transaction; `stale`: Redis's claim failed MySQL's check, nothing was written. */
    async write(chunk: Extract<ChunkDecision, { kind: 'decided' }>): Promise<WriteOutcome> {
      const outcome = chunk.claims
        ? await writeClaimTransitions(deps.sequelize, chunk.eventId, chunk.decided, chunk.claims, now())
        : await writeDecisions(deps.sequelize, chunk.eventId, chunk.decided, chunk.claim, now());
      if (outcome.kind === 'written') deps.onWritten?.();
      return outcome;
    },

    /**
     * Replaces a stale state (of `epoch`) with MySQL's (rebuild.lua, forced), holding the gate until the positions
     * in Kafka are known (hold.lua); the chunk is then decided again.
     */
    async rebuildStale(eventId: string, records: readonly QueuedApplication[], epoch: string): Promise<void> {
      await rebuildEventState(deps, eventId, {
        minPosition: lastPositionOf(records),
        force: true,
        staleEpoch: epoch,
        heldSinceMs: now(),
      });
    },

    settle(chunk: Extract<ChunkDecision, { kind: 'decided' }>): Promise<number> {
      // Claim windows: nothing to put back here. A rebuild that read MySQL before this commit leaves Redis's counts
      // behind MySQL's, which the next chunk's write finds stale: Redis is then rebuilt from MySQL (forced).
      if (chunk.claims) return Promise.resolve(0);
      const decided = chunk.decided.map((d, i) => ({ participantId: d.participantId, entry: chunk.entries[i] as string }));
      return scripts.settle(eventKeys(prefix, chunk.eventId), chunk.epoch, chunk.claim.lastPosition, decided);
    },

    /** Every decision and the progress watermark on the event's channel, for WatchEvent streams. */
    async publish(chunks: readonly Extract<ChunkDecision, { kind: 'decided' }>[]): Promise<void> {
      if (chunks.length === 0) return;
      const pipeline = redis.pipeline();
      for (const chunk of chunks) {
        const channel = eventKeys(prefix, chunk.eventId).channel;
        pipeline.publish(channel, decisionsMessage(chunk.decided.map((d) => toDecision(d.eventId, d.participantId, d.app))));
        pipeline.publish(channel, progressMessage(chunk.progress));
      }
      const results = await pipeline.exec();
      const failed = results?.find(([err]) => err !== null);
      if (failed) throw failed[0];
    },
  };
}

export type Decider = ReturnType<typeof createDecider>;

const lastPositionOf = (records: readonly QueuedApplication[]) => records.reduce((max, r) => Math.max(max, r.position), 0);
