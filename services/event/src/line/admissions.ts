import { GrpcStatus, isConnectionError, ServiceError } from '@fcfs/kit';
import {
  admissionsMessage,
  AdmitOutcome,
  encodeRecord,
  eventKeys,
  parseEntry,
  rebuildEventState,
  toApplication,
  type StockScripts,
  type RebuildDeps,
} from '@fcfs/stock';
import { ApplyOutcome, type Application, type ApplyResponse } from '@fcfs/proto';
import type { Message } from 'kafkajs';
import type { Logger } from 'pino';
import { applyBatchSize, applyGateSeconds, applyProduceSeconds, appliesTotal } from '../metrics';
import type { LineProducer } from './producer';

export interface AdmissionsDeps extends RebuildDeps {
  scripts: StockScripts;
  producer: Pick<LineProducer, 'send'>;
  logger: Logger;
  now: () => number;
  /** How long concurrent applies are gathered (0: the next turn of the event loop). */
  lingerMs: number;
  maxBatch: number;
}

interface Waiter {
  eventId: string;
  participantId: string;
  resolve(response: ApplyResponse): void;
  reject(err: unknown): void;
}

const OUTCOME: Record<AdmitOutcome, ApplyOutcome> = {
  [AdmitOutcome.ACCEPTED]: ApplyOutcome.APPLY_OUTCOME_ACCEPTED,
  [AdmitOutcome.ALREADY_APPLIED]: ApplyOutcome.APPLY_OUTCOME_ALREADY_APPLIED,
  [AdmitOutcome.SOLD_OUT]: ApplyOutcome.APPLY_OUTCOME_SOLD_OUT,
  [AdmitOutcome.NOT_OPEN]: ApplyOutcome.APPLY_OUTCOME_NOT_OPEN,
};
const OUTCOME_LABEL: Record<AdmitOutcome, string> = {
  [AdmitOutcome.ACCEPTED]: 'accepted',
  [AdmitOutcome.ALREADY_APPLIED]: 'already_applied',
  [AdmitOutcome.SOLD_OUT]: 'sold_out',
  [AdmitOutcome.NOT_OPEN]: 'not_open',
};

/** One application decided at the gate, waiting for its produce (if it needs one). */
interface Admitted {
  waiter: Waiter;
  response: ApplyResponse;
  /** Set when this admission must reach Kafka before it is answered. */
  produced?: { position: number; message: Message };
  /** ALREADY_APPLIED to an admission of this same batch: it stands or falls with that produce. */
  dependsOnBatch: boolean;
}

/**
 * The apply path. Concurrent applies are gathered for `lingerMs`, each event's share decided by ONE gate
 * Lua call, every new application (accepted, or answered SOLD_OUT at the gate) produced to Kafka in ONE
 * send, and all answered once the broker acknowledged. A failed produce undoes the batch's admissions in
 * Redis and answers UNAVAILABLE. Batches run one after another, so the topic holds positions in order.
 */
export function createAdmissions(deps: AdmissionsDeps) {
  const { scripts, producer, prefix, now, lingerMs, maxBatch, logger } = deps;
  let queue: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  /** The highest position handed out per event: a rebuild must not hand those out again. */
  const highWater = new Map<string, number>();

  const admitEvent = async (eventId: string, waiters: Waiter[], inBatch: Set<string>): Promise<Admitted[]> => {
    const keys = eventKeys(prefix, eventId);
    const ids = waiters.map((w) => w.participantId);
    const at = now();
    let result = await scripts.admit(keys, at, ids);
    if (result === null) {
      const rebuilt = await rebuildEventState(deps, eventId, highWater.get(eventId) ?? 0);
      if (rebuilt === 'not-found') throw ServiceError.notFound(`event ${eventId} does not exist`);
      result = await scripts.admit(keys, at, ids);
      if (result === null) throw ServiceError.unavailable(`the state of event ${eventId} could not be loaded`);
    }
    const { decidedThrough, admissions } = result;
    const out: Admitted[] = new Array<Admitted>(waiters.length);
    for (let i = 0; i < waiters.length; i++) {
      const waiter = waiters[i] as Waiter;
      const { outcome, entry } = admissions[i] as (typeof admissions)[number];
      appliesTotal.inc({ outcome: OUTCOME_LABEL[outcome] });
      if (outcome === AdmitOutcome.NOT_OPEN) {
        out[i] = { waiter, response: { outcome: OUTCOME[outcome], application: undefined }, dependsOnBatch: false };
        continue;
      }
      const stored = parseEntry(entry);
      const ahead = Math.max(0, stored.position - 1 - decidedThrough);
      const response = { outcome: OUTCOME[outcome], application: toApplication(eventId, waiter.participantId, stored, ahead) };
      const key = waiter.participantId;
      if (outcome === AdmitOutcome.ACCEPTED || outcome === AdmitOutcome.SOLD_OUT) {
        inBatch.add(key);
        if (stored.position > (highWater.get(eventId) ?? 0)) highWater.set(eventId, stored.position);
        const value = encodeRecord({
          eventId,
          participantId: waiter.participantId,
          position: stored.position,
          appliedAtMs: stored.appliedAtMs,
          gateDecidedAtMs: outcome === AdmitOutcome.SOLD_OUT ? stored.decidedAtMs : undefined,
        });
        out[i] = {
          waiter,
          response,
          produced: { position: stored.position, message: { key: eventId, value } },
          dependsOnBatch: false,
        };
      } else {
        out[i] = { waiter, response, dependsOnBatch: inBatch.has(key) };
      }
    }
    return out;
  };

  const asServiceError = (err: unknown): ServiceError => {
    if (err instanceof ServiceError) return err;
    if (isConnectionError(err)) return ServiceError.unavailable('the line is unavailable; retry shortly', err);
    logger.error({ err }, 'apply failed');
    return new ServiceError(GrpcStatus.INTERNAL, 'internal error', { cause: err });
  };

  const unavailable = () => ServiceError.unavailable('the application could not be queued; retry shortly');

  /** Undos that failed (Redis down as well), retried before each later batch until they succeed. */
  const undoLater = new Map<string, { participantId: string; position: number }[]>();

  const undoNow = async (eventId: string, items: { participantId: string; position: number }[]) => {
    if (items.length === 0) return;
    try {
      await scripts.undo(eventKeys(prefix, eventId), items);
    } catch (err) {
      logger.error({ err, eventId, count: items.length }, 'could not undo admissions after a failed produce; will retry');
      undoLater.set(eventId, [...(undoLater.get(eventId) ?? []), ...items]);
    }
  };

  const undo = (eventId: string, items: Admitted[]) =>
    undoNow(
      eventId,
      items.flatMap((a) => (a.produced ? [{ participantId: a.waiter.participantId, position: a.produced.position }] : [])),
    );

  const retryUndos = async () => {
    const due = [...undoLater];
    undoLater.clear();
    await Promise.all(due.map(([eventId, items]) => undoNow(eventId, items)));
  };

  const runBatch = async (batch: Waiter[]): Promise<void> => {
    if (undoLater.size > 0) await retryUndos();
    applyBatchSize.observe(batch.length);
    const byEvent = new Map<string, Waiter[]>();
    for (const w of batch) {
      const list = byEvent.get(w.eventId);
      if (list === undefined) byEvent.set(w.eventId, [w]);
      else list.push(w);
    }
    const gateTimer = applyGateSeconds.startTimer();
    const decided = await Promise.all(
      [...byEvent].map(async ([eventId, waiters]) => {
        try {
          return { eventId, admitted: await admitEvent(eventId, waiters, new Set()) };
        } catch (err) {
          const error = asServiceError(err);
          for (const w of waiters) w.reject(error);
          return { eventId, admitted: [] as Admitted[] };
        }
      }),
    );
    gateTimer();
    const messages: Message[] = [];
    for (const { admitted } of decided) for (const a of admitted) if (a.produced) messages.push(a.produced.message);
    let failed = false;
    if (messages.length > 0) {
      const produceTimer = applyProduceSeconds.startTimer();
      try {
        await producer.send(messages);
        produceTimer();
      } catch (err) {
        failed = true;
        logger.warn({ err: (err as Error).message, count: messages.length }, 'produce failed; admissions undone');
        await Promise.all(decided.map(({ eventId, admitted }) => undo(eventId, admitted)));
      }
    }
    for (const { admitted } of decided) {
      for (const a of admitted) {
        if (failed && (a.produced || a.dependsOnBatch)) a.waiter.reject(unavailable());
        else a.waiter.resolve(a.response);
      }
    }
    if (!failed) publishAdmissions(decided);
  };

  /**
   * Tells the event's watchers (every BFF process) about the applications this batch put in line,
   * once they are safe in Kafka: one message per event per batch, after the answers, never
   * holding them up. Best effort: a lost message costs a waiting subscriber a re-read, no more.
   */
  const publishAdmissions = (decided: { eventId: string; admitted: Admitted[] }[]): void => {
    const pipeline = deps.redis.pipeline();
    let any = false;
    for (const { eventId, admitted } of decided) {
      const applications: Application[] = [];
      for (const a of admitted) if (a.produced && a.response.application) applications.push(a.response.application);
      if (applications.length === 0) continue;
      pipeline.publish(eventKeys(prefix, eventId).channel, admissionsMessage(applications));
      any = true;
    }
    if (any) pipeline.exec().catch((err: unknown) => logger.debug({ err }, 'could not publish admissions'));
  };

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      try {
        await runBatch(batch);
      } catch (err) {
        const error = asServiceError(err);
        for (const w of batch) w.reject(error);
      }
    }
  };

  const flush = () => {
    timer = undefined;
    if (running !== undefined) return;
    running = drain().finally(() => {
      running = undefined;
      if (queue.length > 0) schedule();
    });
  };

  const schedule = () => {
    if (timer !== undefined || running !== undefined) return;
    timer = lingerMs > 0 ? setTimeout(flush, lingerMs) : (setImmediate(flush) as unknown as NodeJS.Timeout);
  };

  return {
    /** Queues one application; resolves with the gate's answer once it is safe to give. */
    apply(eventId: string, participantId: string): Promise<ApplyResponse> {
      return new Promise<ApplyResponse>((resolve, reject) => {
        queue.push({ eventId, participantId, resolve, reject });
        schedule();
      });
    },
    /** Waits for the applications already queued to be answered. */
    async drain(): Promise<void> {
      while (queue.length > 0 || running !== undefined) {
        if (running === undefined) flush();
        await running;
      }
    },
  };
}

export type Admissions = ReturnType<typeof createAdmissions>;
