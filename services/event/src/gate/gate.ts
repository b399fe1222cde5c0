import { createBatcher, ServiceError } from '@fcfs/kit';
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
  /** How long a batch's produce is retried at most. */
  produceTimeoutMs: number;
}

/**
 * The apply path. Every apply, and every ApplyBatch request as one group, goes into ONE micro-batcher
 * (the kit's, sequential): what arrives together runs as one batch (run-batch.ts), one batch at a time.
 */
export function createGate(deps: GateDeps) {
  const runBatch = createBatchRunner({ ...deps, health: { failed: () => undefined, succeeded: () => undefined } });
  const batcher = createBatcher<ApplyItem[], GateAnswer[]>({
    maxItems: deps.batchMax,
    maxWaitMs: deps.batchWaitMs,
    sequential: true,
    sizeOf: (group) => group.length,
    run: async (groups) => {
      const answers = await runBatch(groups.flat(), deps.now() + deps.produceTimeoutMs);
      let at = 0;
      return groups.map((group) => answers.slice(at, (at += group.length)));
    },
  });

  return {
    /** One application; resolves with the gate's answer once it is safe to give, or rejects with its error. */
    async apply(eventId: string, participantId: string): Promise<ApplyResponse> {
      const [answer] = await batcher.add([{ eventId, participantId }]);
      if (answer === undefined) throw ServiceError.unavailable('the application could not be queued; retry shortly');
      if (answer instanceof ServiceError) throw answer;
      return answer;
    },
    /** Applications that arrived together (ApplyBatch): they go through the gate in one batch. */
    async applyBatch(items: ApplyItem[]): Promise<GateAnswer[]> {
      return items.length === 0 ? [] : batcher.add(items);
    },
    /** Waits for the applications already queued to be answered. */
    drain(): Promise<void> {
      return batcher.flush();
    },
  };
}

export type Gate = ReturnType<typeof createGate>;
