import {
  createBatcher,
  endWithError,
  GrpcStatus,
  ServiceError,
  SpanKind,
  startBatchSpan,
  traceparentOf,
  type Batcher,
  type Span,
  type Tracing,
} from '@fcfs/kit';
import type { ApplyBatchResult, ApplyRequest, ApplyResponse } from '@fcfs/proto';
import * as metrics from '../metrics';
import type { Upstream } from './clients';

/** One apply to send: the request, and the traceparent of its `apply` span while tracing. */
export interface TracedApply extends ApplyRequest {
  trace?: string | undefined;
}

export type ApplyBatcher = Batcher<TracedApply, ApplyResponse>;

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
  tracing: Tracing,
): ApplyBatcher {
  const { event } = upstream;
  /** The ApplyBatch call's span: a child of the first sampled apply's span, linked to the others'. */
  const batchSpan = (applications: TracedApply[]): Span =>
    startBatchSpan(
      tracing,
      'fcfs.v1.EventService/ApplyBatch',
      SpanKind.CLIENT,
      applications.map((a) => a.trace),
      { 'fcfs.batch.size': applications.length },
    );
  return createBatcher<TracedApply, ApplyResponse>({
    maxItems,
    maxWaitMs,
    onBatch: (size) => metrics.applyBatchSize.observe(size),
    run: async (applications) => {
      const end = metrics.applyBatchSeconds.startTimer();
      const span = tracing.enabled ? batchSpan(applications) : undefined;
      try {
        const settings = span === undefined ? undefined : { trace: traceparentOf(span) };
        const res = await upstream.call(event.applyBatch.bind(event), { applications }, settings);
        span?.end();
        return applications.map((_, i) => batchItem(res.results[i]));
      } catch (err) {
        if (span !== undefined) endWithError(span, err);
        throw err;
      } finally {
        end();
      }
    },
  });
}
