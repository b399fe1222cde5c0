// One apply as one trace across the parts: the BFF's `apply` span, its ApplyBatch call, the event
// service's ApplyBatch span (its parent sent in gRPC metadata), the issuer's decision span (its parent
// sent in the Kafka record's header) and the notifier's send of the result e-mail (its parent kept in
// the outbox row), all exported to one in-memory exporter.
import { SpanKind, type Tracing } from '@fcfs/kit';
import { InMemorySpanExporter, startTracing, type ReadableSpan } from '@fcfs/kit/tracing';
import { eventually } from '../support';
import { gql } from '../support/graphql';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { createOpenEvent } from '../support/session';

const exporter = new InMemorySpanExporter();
let platform: TestPlatform;

beforeAll(async () => {
  const tracing = (part: string): Tracing => startTracing({ serviceName: part, endpoint: undefined, sampleRatio: 1, exporter });
  platform = await startTestPlatform({ tracing });
});

afterAll(async () => {
  await platform?.stop();
});

const serviceOf = (span: ReadableSpan): unknown => span.resource.attributes['service.name'];
const parentOf = (span: ReadableSpan | undefined): string | undefined => span?.parentSpanContext?.spanId;

describe('tracing', () => {
  it('shows one apply as one trace across the BFF, the event service, the issuer and its notifier', async () => {
    const [admin, participant] = await platform.mintTokens([platform.adminEmail, `traced-${Date.now()}@example.com`]);
    const eventId = await createOpenEvent(platform.url, admin!.token, 1);
    // The caller's own trace context is continued (a browser or an edge proxy may start the trace).
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const applied = await gql(
      platform.url,
      'mutation($id: ID!) { apply(eventId: $id) { outcome } }',
      { id: eventId },
      participant!.token,
      { traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` },
    );
    expect(applied.data?.['apply']).toEqual({ outcome: 'ACCEPTED' });

    const spans = await eventually(
      () => {
        const all = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === callerTrace);
        return all.some((s) => serviceOf(s) === 'issuer' && s.kind === SpanKind.CLIENT) ? all : undefined;
      },
      30_000,
      "the notifier's send span",
    );
    const one = (service: string, kind: SpanKind): ReadableSpan | undefined =>
      spans.find((s) => serviceOf(s) === service && s.kind === kind);
    const apply = one('bff', SpanKind.SERVER);
    const call = one('bff', SpanKind.CLIENT);
    const gate = one('event', SpanKind.SERVER);
    const decision = one('issuer', SpanKind.CONSUMER);
    const email = one('issuer', SpanKind.CLIENT);

    expect({
      apply: apply?.name,
      call: call?.name,
      gate: gate?.name,
      decision: decision?.name,
      email: email?.name,
    }).toEqual({
      apply: 'apply',
      call: 'fcfs.v1.EventService/ApplyBatch',
      gate: '/fcfs.v1.EventService/ApplyBatch',
      decision: 'decide applications',
      email: 'send result e-mail',
    });
    expect({
      apply: parentOf(apply),
      call: parentOf(call),
      gate: parentOf(gate),
      decision: parentOf(decision),
      // The record's trace, which the outbox row keeps: the e-mail belongs to the apply, not to the batch.
      email: parentOf(email),
    }).toEqual({
      apply: '00f067aa0ba902b7',
      call: apply?.spanContext().spanId,
      gate: call?.spanContext().spanId,
      decision: gate?.spanContext().spanId,
      email: gate?.spanContext().spanId,
    });
    expect(apply?.attributes['fcfs.apply.outcome']).toBe('ACCEPTED');
    expect(gate?.attributes['rpc.grpc.status_code']).toBe(0);
  });
});
