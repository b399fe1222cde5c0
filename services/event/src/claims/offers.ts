import { ServiceError } from '@fcfs/kit';
import { encodeRecord, eventKeys, parseEntry, toApplication, type StoredApplication } from '@fcfs/stock';
import { ApplicationStatus, type Application } from '@fcfs/proto';
import type { Redis } from 'ioredis';
import type { ApplicationsProducer } from '../gate/producer';

export interface OffersDeps {
  redis: Redis;
  prefix: string;
  producer: ApplicationsProducer;
  now: () => number;
  /** How long a claim or decline waits for the issuer's decision before answering UNAVAILABLE (ms). */
  decisionTimeoutMs?: number;
  /** How often it looks at the participant's entry meanwhile (ms). */
  pollMs?: number;
}

const OFFERED = ApplicationStatus.APPLICATION_STATUS_OFFERED;

const notOffered = (message: string) => ServiceError.failedPrecondition(message, 'NOT_OFFERED');

/**
 * ClaimGift and DeclineGift (claim windows, #17). The event service never decides: it checks there is an
 * open offer, puts a CLAIM or DECLINE record on the event's key of the applications topic, and waits for
 * the issuer, which decides it in order with the applications and the deadlines' EXPIRE records
 * (claims.lua). A claim stamped before claim_by that the issuer reaches after an expiry of the same offer
 * loses: exactly one of them changes the offer, and the caller is told which.
 */
export function createOffers(deps: OffersDeps) {
  const { redis, prefix, producer, now } = deps;
  const timeoutMs = deps.decisionTimeoutMs ?? 10_000;
  const pollMs = deps.pollMs ?? 20;

  const read = async (eventId: string, participantId: string): Promise<StoredApplication | undefined> => {
    const entry = await redis.hget(eventKeys(prefix, eventId).apps, participantId);
    return entry === null ? undefined : parseEntry(entry);
  };

  const act = async (eventId: string, participantId: string, kind: 'CLAIM' | 'DECLINE'): Promise<Application> => {
    const before = await read(eventId, participantId);
    if (before?.status !== OFFERED) throw notOffered('there is no open offer to claim or decline');
    const at = now();
    if (before.claimByMs !== undefined && at > before.claimByMs) throw notOffered('the claim window has closed');
    const value = encodeRecord({
      eventId,
      participantId,
      position: before.position,
      appliedAtMs: before.appliedAtMs,
      gateDecidedAtMs: undefined,
      claim: { kind, atMs: at },
    });
    try {
      await producer.send([{ key: eventId, value }]);
    } catch (err) {
      throw ServiceError.unavailable(`the ${kind.toLowerCase()} could not be queued; try again`, err);
    }
    const until = now() + timeoutMs;
    for (;;) {
      const app = await read(eventId, participantId);
      if (app !== undefined && app.status !== OFFERED) {
        if (kind === 'CLAIM' && app.status !== ApplicationStatus.APPLICATION_STATUS_ISSUED) {
          throw notOffered('the claim window closed before the claim was decided');
        }
        return toApplication(eventId, participantId, app);
      }
      if (now() >= until) throw ServiceError.unavailable(`the ${kind.toLowerCase()} is queued but not decided yet; ask again`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  };

  return {
    claim: (eventId: string, participantId: string) => act(eventId, participantId, 'CLAIM'),
    decline: (eventId: string, participantId: string) => act(eventId, participantId, 'DECLINE'),
  };
}

export type Offers = ReturnType<typeof createOffers>;
