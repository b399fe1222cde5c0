import { claimEventsKey, encodeRecord, eventKeys, type QueuedApplication, type StockScripts } from '@fcfs/stock';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface DeadlinePollerDeps {
  kafka: Kafka;
  redis: Redis;
  scripts: StockScripts;
  prefix: string;
  topic: string;
  logger: Logger;
  now: () => number;
  /** How often every replica looks for deadlines (ms); the expiry fires within this plus the decision's time. */
  intervalMs?: number;
  /** A taken deadline whose expiry was not decided fires again this much later (ms). */
  retryMs?: number;
}

/**
 * Claim deadlines (#17). Every issuer replica polls each claim-window event's `due` sorted set (claimBy
 * scores, kept in Redis, so an issuer restart loses nothing) and produces an EXPIRE record for each offer
 * whose deadline passed, a CLOSE record for a closed line with participants still waitlisted, and a PASS record
 * for each item the earliest waitlisted could take that no operation freed (an admission ahead of it undone, whose
 * record, on which claims.lua would have passed the room down, never comes), on the event's key: the issuer decides them in order with the applications and claims (claims.lua), and a record
 * that finds the offer already claimed or expired changes nothing, so a duplicate is harmless. due.lua takes
 * a deadline and re-arms it atomically, so replicas do not all produce the same one, and an expiry lost on
 * the way fires again `retryMs` later.
 */
export function createDeadlinePoller(deps: DeadlinePollerDeps) {
  const { kafka, redis, scripts, prefix, topic, logger, now } = deps;
  const intervalMs = deps.intervalMs ?? 200;
  const retryMs = deps.retryMs ?? 3_000;
  let producer: Producer | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const tick = async (): Promise<void> => {
    const eventIds = await redis.smembers(claimEventsKey(prefix));
    for (const eventId of eventIds) {
      const at = now();
      const due = await scripts.due(eventKeys(prefix, eventId), at, retryMs, 1_000);
      // A claim record of the event: an offer's expiry, or line-wide (participant "0": a pass down, the close).
      const record = (kind: 'EXPIRE' | 'PASS' | 'CLOSE', participantId: string, atMs: number): QueuedApplication => ({
        eventId,
        participantId,
        position: 0,
        appliedAtMs: 0,
        gateDecidedAtMs: undefined,
        claim: { kind, atMs },
      });
      const records = due.expired.map((d) => record('EXPIRE', d.participantId, d.claimByMs));
      for (let i = 0; i < Math.min(due.pass, 1_000); i++) records.push(record('PASS', '0', at));
      if (due.close) records.push(record('CLOSE', '0', at));
      if (records.length > 0 && producer !== undefined) {
        await producer.send({ topic, acks: -1, messages: records.map((r) => ({ key: eventId, value: encodeRecord(r) })) });
        logger.debug({ eventId, expiries: due.expired.length, passes: due.pass, close: due.close }, 'claim deadlines produced');
      }
      if (!due.live) await redis.srem(claimEventsKey(prefix), eventId);
    }
  };

  const loop = () => {
    if (stopped) return;
    running = tick()
      .catch((err: unknown) => logger.warn({ err }, 'claim deadline poll failed; trying again'))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, intervalMs);
      });
  };

  return {
    async start(): Promise<void> {
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      loop();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
      await producer?.disconnect();
    },
  };
}
