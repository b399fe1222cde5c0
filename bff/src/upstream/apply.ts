import { GrpcStatus, ServiceError } from '@fcfs/kit';
import type { ApplyBatchResult, ApplyRequest, ApplyResponse } from '@fcfs/proto';
import { createBatcher, type Batcher } from '@fcfs/kit';
import * as metrics from '../metrics';
import type { Upstream } from './clients';

export type ApplyBatcher = Batcher<ApplyRequest, ApplyResponse>;

/** Reads an ApplyBatch item back as what a single Apply would have answered or thrown. */
export function batchItem(result: ApplyBatchResult | undefined): ApplyResponse | Error {
  const r = result?.result;
  if (r?.$case === 'response') return r.value;
  if (r?.$case === 'error') {
    return new ServiceError(r.value.code as GrpcStatus, r.value.message, r.value.reason ? { reason: r.value.reason } : {});
  }
  return new ServiceError(GrpcStatus.INTERNAL, 'ApplyBatch answered an empty result');
}

/** Concurrent applies go out as one EventService.ApplyBatch; each caller gets its own item back. */
export function createApplyBatcher(
  upstream: Upstream,
  { maxItems, maxWaitMs }: { maxItems: number; maxWaitMs: number },
): ApplyBatcher {
  const { event } = upstream;
  return createBatcher<ApplyRequest, ApplyResponse>({
    maxItems,
    maxWaitMs,
    onBatch: (size) => metrics.applyBatchSize.observe(size),
    run: async (applications) => {
      const end = metrics.applyBatchSeconds.startTimer();
      try {
        const res = await upstream.call(event.applyBatch.bind(event), { applications });
        return applications.map((_, i) => batchItem(res.results[i]));
      } finally {
        end();
      }
    },
  });
}
