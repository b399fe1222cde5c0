import { callTrace, GrpcStatus, parseId, requireAdmin, ServiceError, type Handlers, type TokenVerifier } from '@fcfs/kit';
import { eventKeys, readLinePace } from '@fcfs/stock';
import { EventStatus, type ApplyBatchResult, type EventServiceService } from '@fcfs/proto';
import type { Redis } from 'ioredis';
import type { ApplicationReader } from '../events/applications';
import type { Offers } from '../claims/offers';
import type { Catalog } from '../events/catalog';
import type { ApplyItem, Caller, Gate, GateAnswer } from '../gate/gate';
import { watchStreams } from '../metrics';
import type { LagReader } from '../stats/lag';
import { appliesPerSecond } from '../stats/rate';
import type { WatchHub } from '../watch/hub';

export interface HandlerDeps {
  catalog: Catalog;
  gate: Gate;
  hub: WatchHub;
  lag: LagReader;
  redis: Redis;
  prefix: string;
  verifier: TokenVerifier;
  now: () => number;
  /** One participant's application: Redis, with MySQL behind it (events/applications.ts). */
  applications: ApplicationReader;
  /** Claim windows: ClaimGift and DeclineGift. */
  offers: Offers;
}

/** Applications one ApplyBatch request may hold (the BFF sends at most BFF_APPLY_BATCH_MAX). */
const APPLY_BATCH_REQUEST_MAX = 5_000;

/** An item that failed its own check, or the gate's answer: one ApplyBatch result. */
function batchResult(answer: GateAnswer): ApplyBatchResult {
  if (!(answer instanceof ServiceError)) return { result: { $case: 'response', value: answer } };
  return { result: { $case: 'error', value: { code: answer.code, message: answer.message, reason: answer.reason ?? '' } } };
}

/** The items of an ApplyBatch checked one by one: a bad id fails that item only. */
function parseItems(
  applications: readonly { eventId: string; participantId: string }[],
  trace: string | undefined,
): (ApplyItem | ServiceError)[] {
  return applications.map((item) => {
    try {
      const eventId = parseId(item.eventId, 'eventId');
      const participantId = parseId(item.participantId, 'participantId');
      return trace === undefined ? { eventId, participantId } : { eventId, participantId, trace };
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      return err;
    }
  });
}

/** The gate's view of a gRPC call: its deadline and whether the client gave up. */
function callerOf(call: { getDeadline(): Date | number; cancelled: boolean }): Caller {
  const deadline = call.getDeadline();
  return {
    deadline: deadline instanceof Date ? deadline.getTime() : deadline,
    cancelled: () => call.cancelled,
  };
}

export function eventHandlers(deps: HandlerDeps): Handlers<typeof EventServiceService> {
  const { catalog, gate, hub, lag, redis, prefix, verifier, now, applications, offers } = deps;

  return {
    async createEvent(req, call) {
      await requireAdmin(call.metadata, verifier);
      return {
        event: await catalog.create({
          name: req.name,
          stock: req.stock,
          opensAtMs: req.opensAtMs,
          closesAtMs: req.closesAtMs,
          waitingRoomOpensAtMs: req.waitingRoomOpensAtMs,
          claimWindowSeconds: req.claimWindowSeconds,
          maxOpenOffers: req.maxOpenOffers,
        }),
      };
    },
    async setStock(req, call) {
      await requireAdmin(call.metadata, verifier);
      return { event: await catalog.setStock(parseId(req.eventId, 'eventId'), req.stock) };
    },
    async openEvent(req, call) {
      await requireAdmin(call.metadata, verifier);
      return { event: await catalog.open(parseId(req.eventId, 'eventId')) };
    },
    async closeEvent(req, call) {
      await requireAdmin(call.metadata, verifier);
      return { event: await catalog.close(parseId(req.eventId, 'eventId')) };
    },
    async listEvents(req, call) {
      if (req.includeDrafts) await requireAdmin(call.metadata, verifier);
      return { events: await catalog.list(req.includeDrafts) };
    },
    async getEvent(req, call) {
      const eventId = parseId(req.eventId, 'eventId');
      const event = await catalog.get(eventId);
      // A draft is the organiser's work in progress: to anyone else it does not exist yet.
      if (event.status === EventStatus.EVENT_STATUS_DRAFT) {
        await requireAdmin(call.metadata, verifier).catch(() => {
          throw ServiceError.notFound(`event ${eventId} does not exist`);
        });
      }
      return { event };
    },

    async apply(req, call) {
      return gate.apply(parseId(req.eventId, 'eventId'), parseId(req.participantId, 'participantId'), callerOf(call));
    },

    async applyBatch(req, call) {
      if (req.applications.length > APPLY_BATCH_REQUEST_MAX) {
        throw ServiceError.invalidArgument(`a batch holds at most ${APPLY_BATCH_REQUEST_MAX} applications`);
      }
      // Each record produced for this call carries the call's trace on to the issuer.
      const parsed = parseItems(req.applications, callTrace(call));
      const answers = await gate.applyBatch(
        parsed.filter((p): p is ApplyItem => !(p instanceof ServiceError)),
        callerOf(call),
      );
      let next = 0;
      return { results: parsed.map((p) => batchResult(p instanceof ServiceError ? p : (answers[next++] as GateAnswer))) };
    },

    async getApplication(req) {
      const eventId = parseId(req.eventId, 'eventId');
      const participantId = parseId(req.participantId, 'participantId');
      return { application: await applications(eventId, participantId) };
    },

    async claimGift(req) {
      const eventId = parseId(req.eventId, 'eventId');
      await catalog.hotState(eventId); // NOT_FOUND for an unknown event; rebuilt if Redis lost it
      return { application: await offers.claim(eventId, parseId(req.participantId, 'participantId')) };
    },
    async declineGift(req) {
      const eventId = parseId(req.eventId, 'eventId');
      await catalog.hotState(eventId);
      return { application: await offers.decline(eventId, parseId(req.participantId, 'participantId')) };
    },

    async getEventStats(req, call) {
      await requireAdmin(call.metadata, verifier);
      const eventId = parseId(req.eventId, 'eventId');
      const hot = await catalog.hotState(eventId);
      const [lagCount, applies, line, redeemed, emails] = await Promise.all([
        lag.lagOf(eventId).catch(() => -1),
        appliesPerSecond(redis, prefix, eventId, now()),
        readLinePace(redis, prefix, eventKeys(prefix, eventId), now()),
        catalog.redeemedCount(eventId),
        catalog.emailCounts(eventId),
      ]);
      return {
        stats: {
          eventId,
          stock: hot.stock,
          remaining: Math.max(0, hot.stock - hot.issued),
          admitted: hot.admitted,
          pending: hot.pending,
          issued: hot.issued,
          soldOut: hot.soldOut,
          lag: lagCount,
          appliesPerSecond: applies,
          // Over the last few seconds (the line's pace, as the estimates use it).
          decisionsPerSecond: line.pace,
          redeemed,
          waiting: hot.waiting,
          ...emails,
          waitlisted: hot.waitlisted,
          offered: hot.offered,
          expired: hot.expired,
        },
      };
    },

    async watchEvent(call) {
      const eventId = parseId(call.request.eventId, 'eventId');
      const hot = await catalog.hotState(eventId);
      watchStreams.inc();
      await new Promise<void>((resolve, reject) => {
        let stop: (() => void) | undefined;
        let ended = false;
        const finish = () => {
          if (ended) return;
          ended = true;
          stop?.();
          resolve();
        };
        call.on('cancelled', finish);
        call.on('close', finish);
        call.on('error', finish);
        hub
          .watch(eventId, { send: (update) => call.write(update), end: finish })
          .then((s) => {
            stop = s;
            if (ended) s();
            else {
              const remaining = Math.max(0, hot.stock - hot.issued);
              call.write({
                update: {
                  $case: 'progress',
                  value: { eventId, decidedThrough: hot.decidedThrough, issued: hot.issued, remaining },
                },
              });
            }
          })
          .catch((err: unknown) => {
            ended = true;
            reject(
              err instanceof ServiceError
                ? err
                : new ServiceError(GrpcStatus.UNAVAILABLE, 'live updates are unavailable', { cause: err }),
            );
          });
      });
    },
  };
}
