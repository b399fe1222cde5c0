import { InMemorySpanExporter, startTracing } from './tracing-sdk';
import { defineConfig, tracing as tracingSettings } from './config';
import { recordTrace, SpanKind, startBatchSpan, TRACEPARENT, TRACING_OFF, traceparentOf } from './tracing';

describe('tracing settings', () => {
  const config = defineConfig({ tracing: tracingSettings });

  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT, and samples 1 % of new traces by default', () => {
    expect(config.parse({}).tracing).toEqual({ endpoint: undefined, sampleRatio: 0.01 });
    expect(config.parse({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }).tracing.endpoint).toBeUndefined();
    expect(startTracing({ serviceName: 'x', ...config.parse({}).tracing })).toBe(TRACING_OFF);
  });

  it('reads the collector and the ratio, and refuses what is not one', () => {
    expect(
      config.parse({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_SAMPLER_ARG: '0.5' }).tracing,
    ).toEqual({
      endpoint: 'http://collector:4318',
      sampleRatio: 0.5,
    });
    const bad = config.safeParse({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector', OTEL_TRACES_SAMPLER_ARG: '2' });
    expect(bad.error?.issues.map((i) => i.path[0]).sort()).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_SAMPLER_ARG']);
  });
});

describe('trace context by hand (W3C traceparent)', () => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({ serviceName: 'test', endpoint: undefined, sampleRatio: 1, exporter });
  afterAll(() => tracing.shutdown());

  it('parents a span on a traceparent, and a batch span on the first sampled item, linking the others', () => {
    const root = tracing.startSpan('apply', { kind: SpanKind.SERVER });
    const other = tracing.startSpan('apply', { kind: SpanKind.SERVER });
    const unsampled = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const batch = startBatchSpan(tracing, 'batch', SpanKind.CLIENT, [
      undefined,
      unsampled,
      traceparentOf(root),
      traceparentOf(other),
    ]);
    batch.end();
    root.end();
    other.end();
    const [exported] = exporter.getFinishedSpans().filter((s) => s.name === 'batch');
    expect(exported?.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(exported?.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(exported?.links.map((l) => l.context.spanId)).toEqual([other.spanContext().spanId]);
    expect(traceparentOf(batch)).toMatch(new RegExp(`^00-${root.spanContext().traceId}-${batch.spanContext().spanId}-01$`));
  });

  it("at the edge, lets the ratio decide rather than a caller's sampled flag (the trace id is kept)", () => {
    const edge = startTracing({ serviceName: 'bff', endpoint: undefined, sampleRatio: 0, exporter, edge: true });
    const inner = startTracing({ serviceName: 'event', endpoint: undefined, sampleRatio: 0, exporter });
    const callers = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const atEdge = edge.startSpan('apply', { kind: SpanKind.SERVER, parent: callers });
    const inside = inner.startSpan('ApplyBatch', { kind: SpanKind.SERVER, parent: callers });
    expect(atEdge.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect({ edge: atEdge.isRecording(), inside: inside.isRecording() }).toEqual({ edge: false, inside: true });
    inside.end();
  });

  it('reads a Kafka header as kafkajs hands it over', () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(recordTrace({ [TRACEPARENT]: Buffer.from(tp) })).toBe(tp);
    expect(recordTrace({ [TRACEPARENT]: tp })).toBe(tp);
    expect(recordTrace(undefined)).toBeUndefined();
    expect(recordTrace({})).toBeUndefined();
  });
});
