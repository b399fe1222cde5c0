import { createBatcher, GrpcStatus, ServiceError } from '@fcfs/kit';
import type { ApplyResponse } from '@fcfs/proto';
import type { ApplyItem } from './admit';
import { createBatchRunner, type BatchRunnerDeps, type GateAnswer } from './run-batch';

export type { ApplyItem } from './admit';
export type { GateAnswer } from './run-batch';

export interface GateDeps extends Omit<BatchRunnerDeps, 'health'> {
  /** How long concurrent applies are gathered into one batch (0: the next turn of the event loop). */
  batchWaitMs: number;
  /** Applications per batch; an ApplyBatch request is never split, and a larger one runs alone. */
  batchMax: number;
  /** Applications waiting for a batch at most; beyond, an apply is answered UNAVAILABLE at once. */
  queueMax: number;
  /** How long a batch's produce is retried at most (within its callers' deadline). */
  produceTimeoutMs: number;
  /**
   * After a produce attempt failed, applies are answered UNAVAILABLE at once for this long, and while an attempt
   * has been outstanding for longer than this; 0: never.
   */
  failFastMs: number;
}

/** The caller of an apply: the gRPC call's deadline (ms, Infinity if none) and whether it was cancelled. */
export interface Caller {
  deadline: number;
  cancelled(): boolean;
}

const ANYONE: Caller = { deadline: Infinity, cancelled: () => false };

interface Group {
  items: ApplyItem[];
  caller: Caller;
}

/**
 * The apply path. Every apply, and every ApplyBatch request as one group, goes into ONE micro-batcher
 * (the kit's, sequential): what arrives together runs as one batch (run-batch.ts), one batch at a time.
 * Back-pressure: the queue is bounded, a caller that gave up (deadline passed, cancelled) is dropped before
 * the gate so nobody is admitted who no longer waits, and while produces fail the gate answers at once.
 */
export function createGate(deps: GateDeps) {
  const { now } = deps;
  let failingUntil = 0;
  let attemptSince: number | undefined;
  let queued = 0;
  const health = {
    attempt: () => void (attemptSince = now()),
    failed: () => {
      attemptSince = undefined;
      failingUntil = now() + deps.failFastMs;
    },
    succeeded: () => {
      attemptSince = undefined;
      failingUntil = 0;
    },
  };
  /** A produce attempt failed lately, or one has been waiting for the broker for longer than failFastMs. */
  const failing = () =>
    deps.failFastMs > 0 && (now() < failingUntil || (attemptSince !== undefined && now() - attemptSince > deps.failFastMs));
  const runBatch = createBatchRunner({ ...deps, health });

  const gaveUp = (caller: Caller) =>
    caller.cancelled()
      ? new ServiceError(GrpcStatus.CANCELLED, 'the call was cancelled')
      : caller.deadline <= now()
        ? new ServiceError(GrpcStatus.DEADLINE_EXCEEDED, 'the deadline passed before the application reached the gate')
        : undefined;

  const run = async (groups: Group[]): Promise<GateAnswer[][]> => {
    for (const g of groups) queued -= g.items.length;
    const dropped = groups.map((g) => gaveUp(g.caller));
    const live = groups.filter((_, i) => dropped[i] === undefined);
    const deadline = Math.min(now() + deps.produceTimeoutMs, Math.max(0, ...live.map((g) => g.caller.deadline)));
    const answers =
      live.length === 0
        ? []
        : await runBatch(
            live.flatMap((g) => g.items),
            deadline,
          );
    let at = 0;
    return groups.map((g, i) => {
      const error = dropped[i];
      return error === undefined ? answers.slice(at, (at += g.items.length)) : g.items.map(() => error);
    });
  };

  const batcher = createBatcher<Group, GateAnswer[]>({
    maxItems: deps.batchMax,
    maxWaitMs: deps.batchWaitMs,
    sequential: true,
    sizeOf: (group) => group.items.length,
    run,
  });

  const enqueue = (items: ApplyItem[], caller: Caller): Promise<GateAnswer[]> => {
    if (failing()) throw ServiceError.unavailable('the line cannot reach Kafka right now; retry shortly');
    // An empty queue takes any group, so an ApplyBatch larger than the bound still goes through alone.
    if (queued > 0 && queued + items.length > deps.queueMax) {
      throw ServiceError.unavailable('the line is full; retry shortly');
    }
    queued += items.length;
    return batcher.add({ items, caller });
  };

  return {
    /** One application; resolves with the gate's answer once it is safe to give, or rejects with its error. */
    async apply(eventId: string, participantId: string, caller: Caller = ANYONE): Promise<ApplyResponse> {
      const [answer] = await enqueue([{ eventId, participantId }], caller);
      if (answer === undefined) throw ServiceError.unavailable('the application could not be queued; retry shortly');
      if (answer instanceof ServiceError) throw answer;
      return answer;
    },
    /** Applications that arrived together (ApplyBatch): they go through the gate in one batch. */
    async applyBatch(items: ApplyItem[], caller: Caller = ANYONE): Promise<GateAnswer[]> {
      return items.length === 0 ? [] : enqueue(items, caller);
    },
    /** Waits for the applications already queued to be answered. */
    drain(): Promise<void> {
      return batcher.flush();
    },
  };
}

export type Gate = ReturnType<typeof createGate>;
