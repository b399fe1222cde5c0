import { status } from '@grpc/grpc-js';
import { callUnary, grpcErrorInfo } from '@fcfs/kit';
import { ApplicationStatus, ApplyOutcome } from '@fcfs/proto';
import { eventually } from '../support';
import { startPipeline, type Pipeline } from './harness';

// infra.js is plain CommonJS without types.
const infra = require('../../infra/infra.js') as {
  startPrivateKafka(opts?: { quiet?: boolean }): Promise<PrivateKafka>;
  stopPrivateKafka(handle: PrivateKafka): Promise<void>;
};
interface PrivateKafka {
  brokers: string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

// Test 5 of the issue: the broker goes away during Apply (a private broker, never the shared one).
describe('broker unreachable during Apply', () => {
  let kafka: PrivateKafka;
  let p: Pipeline;

  beforeAll(async () => {
    kafka = await infra.startPrivateKafka({ quiet: true });
    p = await startPipeline({ brokers: kafka.brokers, partitions: 1 });
  }, 180_000);
  afterAll(async () => {
    await p?.stop();
    if (kafka) await infra.stopPrivateKafka(kafka);
  }, 120_000);

  it('answers UNAVAILABLE, leaves no PENDING application behind, and a retry after the broker is back succeeds', async () => {
    const event = await p.createOpenEvent(10);
    expect((await p.apply(event.id, '1')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);

    await kafka.kill();
    const failures = await Promise.all(
      ['2', '3', '4'].map((id) =>
        p.apply(event.id, id, 60_000).then(
          () => 'answered',
          (err: unknown) => status[grpcErrorInfo(err).code],
        ),
      ),
    );
    expect(failures).toEqual(['UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE']);
    for (const participantId of ['2', '3', '4']) {
      const { application } = await callUnary(p.client.getApplication.bind(p.client), { eventId: event.id, participantId });
      expect(application).toBeUndefined();
    }
    const { stats } = await callUnary(p.client.getEventStats.bind(p.client), { eventId: event.id }, { metadata: p.admin() });
    // The three undone admissions were released: the line holds only participant 1.
    expect((stats?.pending ?? 0) + (stats?.issued ?? 0)).toBe(1);

    await kafka.start();
    const retried = await eventually(
      () =>
        p.apply(event.id, '2', 30_000).then(
          (r) => r,
          () => undefined,
        ),
      90_000,
      'an apply accepted after the broker is back',
    );
    expect(retried.outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
    expect(retried.application?.position).toBeGreaterThan(1);

    // Everything accepted is decided once the issuer's group is back on the broker.
    const decided = await eventually(
      async () => {
        const { application } = await callUnary(p.client.getApplication.bind(p.client), {
          eventId: event.id,
          participantId: '2',
        });
        return application?.status === ApplicationStatus.APPLICATION_STATUS_ISSUED ? application : undefined;
      },
      90_000,
      'the retried application decided',
    );
    expect(decided.giftCode).toBeDefined();
    await eventually(
      async () => ((await p.count('SELECT COUNT(*) n FROM gifts WHERE event_id = ?', [event.id])) === 2 ? true : undefined),
      60_000,
    );
    expect(await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ? AND participant_id IN (3, 4)', [event.id])).toBe(
      0,
    );
  }, 300_000);
});
