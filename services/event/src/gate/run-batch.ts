import { classifyError, GrpcStatus, ServiceError, TRACEPARENT } from '@fcfs/kit';
import type { ApplyResponse } from '@fcfs/proto';
import { eventKeys, readHotState, type StockScripts } from '@fcfs/stock';
import type { Message } from 'kafkajs';
import type { Logger } from 'pino';
import { applyBatchSize, applyGateSeconds, applyProduceSeconds } from '../metrics';
import { createAdmitter, type AdmitDeps, type Admitted, type ApplyItem } from './admit';
import { produceWithRetry, type ProduceHealth } from './produce';
import type { ApplicationsProducer } from './producer';
import { publishAdmissions } from './publish';
import { createUndoQueue } from './undo-queue';
import { confirmWaiting, heldError, type ConfirmDeps } from '../waitroom/confirm';
import { lineReader, withEstimate } from '../waitroom/estimate';

/** The gate's answer to one application: the response, or the error its caller gets. */
export type GateAnswer = ApplyResponse | ServiceError;

export interface BatchRunnerDeps extends AdmitDeps {
  scripts: StockScripts;
  producer: Pick<ApplicationsProducer, 'send' | 'reset'>;
  logger: Logger;
  health: ProduceHealth;
  /** The waiting room's MySQL record (issue #17); without it, a WAITING is never confirmed. */
  drawStore?: ConfirmDeps['store'];
}

/** One event's share of a batch: where its items sit in the batch, and what the gate made of them. */
interface Share {
  eventId: string;
  indices: number[];
  admitted: Admitted[];
  error?: ServiceError;
}

/** What a caller may see of a failure: a ServiceError as it is, a retriable failure as UNAVAILABLE. */
function asServiceError(err: unknown, logger: Logger): ServiceError {
  if (err instanceof ServiceError) return err;
  if (classifyError(err).retriable) return ServiceError.unavailable('the line is unavailable; retry shortly', err);
  logger.error({ err }, 'apply failed');
  return new ServiceError(GrpcStatus.INTERNAL, 'internal error', { cause: err });
}

const unavailable = () => ServiceError.unavailable('the application could not be queued; retry shortly');

/** A new application's record carries the trace of the call it came in, so the issuer's decision joins it. */
function tagTraces(share: Share, items: readonly ApplyItem[]): void {
  share.admitted.forEach((a, k) => {
    const trace = items[share.indices[k] as number]?.trace;
    if (trace !== undefined && a.produced) a.produced.message.headers = { [TRACEPARENT]: trace };
  });
}

function sharesByEvent(items: readonly ApplyItem[]): Share[] {
  const byEvent = new Map<string, Share>();
  items.forEach((item, i) => {
    const share = byEvent.get(item.eventId);
    if (share === undefined) byEvent.set(item.eventId, { eventId: item.eventId, indices: [i], admitted: [] });
    else share.indices.push(i);
  });
  return [...byEvent.values()];
}

/**
 * Runs one batch of applications through the gate: each event's share decided by ONE admit.lua call,
 * every new application produced to Kafka in ONE send, and all answered once the broker acknowledged.
 * A failed produce (after retries) answers UNAVAILABLE, undoing the admissions if none reached Kafka. The caller runs
 * batches one after another (the batcher's `sequential`), so the topic holds positions in order.
 */
export function createBatchRunner(deps: BatchRunnerDeps) {
  const { producer, logger } = deps;
  const admitShare = createAdmitter(deps);
  const undos = createUndoQueue(deps);

  const forgetSoldOut = async (eventId: string, admitted: Admitted[]): Promise<void> => {
    const items = admitted.flatMap(({ produced: p }) =>
      p?.soldOutEntry === undefined ? [] : [{ participantId: p.participantId, entry: p.soldOutEntry }],
    );
    await deps.scripts
      .forget(eventKeys(deps.prefix, eventId), items)
      .catch((err: unknown) =>
        logger.error({ err, eventId, count: items.length }, 'could not forget SOLD_OUT answers never given'),
      );
  };

  const admitAll = async (items: readonly ApplyItem[]): Promise<Share[]> => {
    const stop = applyGateSeconds.startTimer();
    const shares = sharesByEvent(items);
    await Promise.all(
      shares.map(async (share) => {
        try {
          share.admitted = await admitShare(
            share.eventId,
            share.indices.map((i) => (items[i] as ApplyItem).participantId),
          );
          tagTraces(share, items);
        } catch (err) {
          share.error = asServiceError(err, logger);
        }
      }),
    );
    stop();
    return shares;
  };

  /**
   * Produces every new application of the batch (produce.ts: retried until `deadline`); false when it failed.
   * Admissions are undone only when no record can have reached Kafka; otherwise the sweeper settles them.
   */
  const produce = async (shares: readonly Share[], deadline: number): Promise<boolean> => {
    const messages: Message[] = [];
    for (const { admitted } of shares) for (const a of admitted) if (a.produced) messages.push(a.produced.message);
    if (messages.length === 0) return true;
    const stop = applyProduceSeconds.startTimer();
    const outcome = await produceWithRetry(producer, messages, deadline, deps);
    if (outcome === 'sent') {
      stop();
      return true;
    }
    if (outcome === 'not-sent') {
      const undoneOf = (admitted: Admitted[]) =>
        admitted.flatMap(({ produced: p }) => (p ? [{ participantId: p.participantId, position: p.position }] : []));
      await Promise.all(shares.map(({ eventId, admitted }) => undos.undo(eventId, undoneOf(admitted))));
    }
    // Either way the gate's SOLD_OUT answers of the batch are answered UNAVAILABLE instead: forget them, so none
    // stays in Redis that MySQL may never record (a record that did land is recorded by the issuer all the same).
    await Promise.all(shares.map(({ eventId, admitted }) => forgetSoldOut(eventId, admitted)));
    return false;
  };

  /** WAITING answers made durable first (waitroom/confirm.ts); without a store, never confirmed. */
  const confirmShares = async (shares: Share[]) => {
    const store = deps.drawStore;
    for (const { admitted } of shares) for (const a of admitted) if (a.waiting) a.unconfirmed = store === undefined;
    if (store !== undefined) await confirmWaiting({ store, scripts: deps.scripts, prefix: deps.prefix, logger }, shares);
  };

  /**
   * Every WAITING answer of the batch with its estimated wait (issue #17), so a participant hears it as the room
   * takes them: one read of the event's state and pace per event of the batch. Best effort: without it the
   * answer stands, and a read brings the estimate.
   */
  const estimateWaiting = async (shares: readonly Share[]) => {
    await Promise.all(
      shares.map(async ({ eventId, admitted }) => {
        const waiting = admitted.filter((a) => a.waiting && a.unconfirmed !== true && a.response.application !== undefined);
        if (waiting.length === 0) return;
        const keys = eventKeys(deps.prefix, eventId);
        const now = deps.now();
        const hot = await readHotState(deps.redis, keys);
        if (hot === undefined) return;
        const line = lineReader(deps.redis, deps.prefix, keys, now);
        for (const a of waiting) {
          a.response = { ...a.response, application: await withEstimate(a.response.application!, hot, line, now) };
        }
      }),
    ).catch((err: unknown) => logger.debug({ err }, 'WAITING answered without an estimate'));
  };

  const answer = (shares: readonly Share[], size: number, produced: boolean): GateAnswer[] => {
    const answers = new Array<GateAnswer>(size);
    for (const { indices, admitted, error } of shares) {
      indices.forEach((at, k) => {
        const a = admitted[k];
        if (error !== undefined || a === undefined) answers[at] = error ?? unavailable();
        else if (a.held) answers[at] = heldError();
        else if (a.waiting) answers[at] = a.unconfirmed === true ? unavailable() : a.response;
        else answers[at] = !produced && (a.produced || a.dependsOnBatch) ? unavailable() : a.response;
      });
    }
    return answers;
  };

  /** `produceDeadline` (ms): when the produce stops retrying (the callers' deadline, at most the produce budget). */
  return async function runBatch(items: readonly ApplyItem[], produceDeadline: number): Promise<GateAnswer[]> {
    try {
      await undos.retry();
      applyBatchSize.observe(items.length);
      const shares = await admitAll(items);
      const produced = await produce(shares, produceDeadline);
      await confirmShares(shares);
      await estimateWaiting(shares);
      const answers = answer(shares, items.length, produced);
      if (produced) publishAdmissions(deps.redis, deps.prefix, logger, shares);
      return answers;
    } catch (err) {
      const error = asServiceError(err, logger);
      return items.map(() => error);
    }
  };
}
