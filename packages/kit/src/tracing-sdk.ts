// The OpenTelemetry SDK behind a part's Tracing: on a subpath (`@fcfs/kit/tracing`) so its exporter
// is loaded by the parts that start tracing, not by everything that imports the kit.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { TracingSettings } from './config';
import { TRACING_OFF, tracingOf, type Tracing } from './tracing';

export { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface TracingOptions extends TracingSettings {
  /** `service.name` of every span (auth, event, issuer, bff). */
  serviceName: string;
  /**
   * Where spans go instead of the OTLP endpoint (tests: an InMemorySpanExporter); spans are then handed
   * over as each ends, so a test sees them without waiting for a batch.
   */
  exporter?: SpanExporter;
  /**
   * The public edge (the BFF): a caller's traceparent is continued, but its sampled flag does not decide,
   * or a herd sending `-01` would have every request traced; the ratio decides, as for a new trace.
   */
  edge?: boolean;
}

/**
 * A part's tracing: off unless an OTLP endpoint (or an exporter) is given. Sampled at the root
 * (`OTEL_TRACES_SAMPLER_ARG`, a ratio of new traces); a span with a parent follows the parent's
 * decision, so a trace is kept or dropped whole across the parts.
 */
export function startTracing({ serviceName, endpoint, sampleRatio, exporter, edge = false }: TracingOptions): Tracing {
  if (endpoint === undefined && exporter === undefined) return TRACING_OFF;
  const processor =
    exporter === undefined
      ? new BatchSpanProcessor(new OTLPTraceExporter({ url: new URL('v1/traces', `${endpoint}/`.replace(/\/+$/, '/')).href }))
      : new SimpleSpanProcessor(exporter);
  const ratio = new TraceIdRatioBasedSampler(sampleRatio);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    sampler: new ParentBasedSampler(
      edge ? { root: ratio, remoteParentSampled: ratio, remoteParentNotSampled: ratio } : { root: ratio },
    ),
    spanProcessors: [processor],
  });
  return tracingOf(provider.getTracer('fcfs'), () => provider.shutdown());
}
