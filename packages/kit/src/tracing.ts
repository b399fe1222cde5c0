// Manual OpenTelemetry tracing of the apply path: a few spans per apply batch, W3C trace context carried by
// hand through gRPC metadata, Kafka record headers and outbox rows. No context manager, no
// auto-instrumentation: callers pass the parent explicitly, so with tracing off nothing runs but
// `tracing.enabled` checks. The SDK (exporter, processor) lives in tracing-sdk.ts (`@fcfs/kit/tracing`).
import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

export { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';

/** The W3C header (and gRPC metadata key, Kafka header, outbox column) that carries a span's context. */
export const TRACEPARENT = 'traceparent';

const propagator = new W3CTraceContextPropagator();

export interface SpanOptions {
  kind: SpanKind;
  /** The parent's W3C traceparent (from an HTTP header, gRPC metadata, a Kafka header); none: a new trace. */
  parent?: string | undefined;
  /** Other traceparents this span works for (the rest of a batch), linked rather than parented. */
  links?: readonly (string | undefined)[];
  attributes?: Attributes;
}

/** A part's tracer. Off (no OTLP endpoint): `enabled` is false and callers skip every tracing step. */
export interface Tracing {
  readonly enabled: boolean;
  startSpan(name: string, options: SpanOptions): Span;
  /** Exports what is buffered and stops; parts call it last on shutdown. */
  shutdown(): Promise<void>;
}

function contextOf(traceparent: string | undefined) {
  return traceparent === undefined ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
}

/** The span context a traceparent names, when it is a valid one. */
function spanContextOf(traceparent: string | undefined) {
  const context = trace.getSpanContext(contextOf(traceparent));
  return context !== undefined && trace.isSpanContextValid(context) ? context : undefined;
}

/** A span's W3C traceparent, to hand to the next hop. */
export function traceparentOf(span: Span): string | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
  return carrier[TRACEPARENT];
}

/** Tracing over an OpenTelemetry tracer (see `startTracing` in `@fcfs/kit/tracing`). */
export function tracingOf(tracer: Tracer, shutdown: () => Promise<void>): Tracing {
  return {
    enabled: true,
    startSpan(name, { kind, parent, links, attributes }) {
      const linked: Link[] = [];
      for (const tp of links ?? []) {
        const context = tp === parent ? undefined : spanContextOf(tp);
        if (context !== undefined && !linked.some((l) => l.context.spanId === context.spanId)) linked.push({ context });
      }
      return tracer.startSpan(name, { kind, links: linked, ...(attributes ? { attributes } : {}) }, contextOf(parent));
    },
    shutdown,
  };
}

/** No tracing: the default, and what a part gets without `OTEL_EXPORTER_OTLP_ENDPOINT`. */
export const TRACING_OFF: Tracing = {
  enabled: false,
  startSpan: () => trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
  shutdown: () => Promise.resolve(),
};

/** Ends a span with an error status (a failed call, a failed batch). */
export function endWithError(span: Span, err: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  span.end();
}

/** Whether a traceparent's sampled flag is set (its trace is recorded). */
const sampled = (traceparent: string | undefined): boolean => traceparent?.endsWith('-01') === true;

/**
 * One span for a batch of items that each came with their own trace (applies coalesced into one call,
 * records consumed together): a child of the first sampled item's span, linked to the other items'.
 */
export function startBatchSpan(
  tracing: Tracing,
  name: string,
  kind: SpanKind,
  traceparents: readonly (string | undefined)[],
  attributes?: Attributes,
): Span {
  const parent = traceparents.find(sampled) ?? traceparents.find((t) => t !== undefined);
  return tracing.startSpan(name, { kind, parent, links: traceparents.filter(sampled), ...(attributes ? { attributes } : {}) });
}

/** The traceparent a Kafka record carries in its headers (kafkajs hands header values over as Buffers). */
export function recordTrace(headers: Record<string, unknown> | undefined): string | undefined {
  const value = headers?.[TRACEPARENT];
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  return typeof value === 'string' ? value : undefined;
}
