import { status } from '@grpc/grpc-js';
import { callUnary, createGrpcClient, devServiceCredentials, grpcErrorInfo } from '@fcfs/kit';
import { loadServiceConfig, startEvent, type RunningEvent } from '@fcfs/event';
import { ApplyOutcome, EventServiceClient } from '@fcfs/proto';
import { eventKeys, readHotState } from '@fcfs/stock';
import { Redis } from 'ioredis';
import { eventually, testLogger, urls } from '../support';
import { startPipeline, type Pipeline } from './harness';

// infra.js is plain CommonJS without types.
const infra = require('../../infra/infra.js') as {
  startPrivateKafka(opts?: { quiet?: boolean }): Promise<PrivateKafka>;
  stopPrivateKafka(handle: PrivateKafka): Promise<void>;
};
interface PrivateKafka {
  brokers: string[];
  pid: number | null;
  start(): Promise<void>;
  kill(): Promise<void>;
}

const codeOf = (err: unknown) => status[grpcErrorInfo(err).code];

// Issue 12, item 3: what the gate does when a produce fails (a private broker, never the shared one).
describe('produce failures at the gate', () => {
  let kafka: PrivateKafka;
  let p: Pipeline;
  /**
   * A second event service whose produce may retry for two minutes (long enough for the broker to restart),
   * with a queue of two and no fail-fast, so applies wait behind a batch whose produce is retrying.
   */
  let patient: RunningEvent;
  let patientClient: EventServiceClient;
  const redis = new Redis(urls.redis);

  beforeAll(async () => {
    kafka = await infra.startPrivateKafka({ quiet: true });
    p = await startPipeline({ brokers: kafka.brokers, partitions: 1 });
    patient = await startEvent(
      loadServiceConfig({ ...p.env, GATE_PRODUCE_TIMEOUT_MS: '120000', GATE_FAIL_FAST_MS: '0', GATE_QUEUE_MAX: '2' }),
      {
        logger: testLogger('event-patient'),
        loadJwks: p.tokens.loadJwks,
      },
    );
    patientClient = createGrpcClient(EventServiceClient, `127.0.0.1:${patient.grpcPort}`, devServiceCredentials('bff'));
  }, 180_000);
  afterAll(async () => {
    patientClient?.close();
    await patient?.stop();
    await p?.stop();
    if (kafka) await infra.stopPrivateKafka(kafka);
    redis.disconnect();
  }, 120_000);

  const entryOf = (eventId: string, participantId: string) => redis.hget(eventKeys(p.prefix, eventId).apps, participantId);
  const decidedInMysql = (eventId: string, participantId: string) =>
    eventually(
      async () =>
        (await p.count("SELECT COUNT(*) n FROM applications WHERE event_id = ? AND participant_id = ? AND status = 'ISSUED'", [
          eventId,
          participantId,
        ])) === 1
          ? true
          : undefined,
      90_000,
      `participant ${participantId} issued`,
    );

  it('retries the idempotent producer before anything is undone: a broker back within the deadline costs a wait, not the admission', async () => {
    const event = await p.createOpenEvent(5);
    expect((await p.apply(event.id, '1')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
    await kafka.kill();
    const waiting = callUnary(
      patientClient.apply.bind(patientClient),
      { eventId: event.id, participantId: '2' },
      { deadlineMs: 150_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await kafka.start();
    const answer = await waiting;
    expect(answer.outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
    expect(answer.application?.position).toBe(2);
    await decidedInMysql(event.id, '2');
    expect(await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id])).toBe(2);
  }, 240_000);

  it('undoes nothing when the records may have reached the broker (a hung broker): the position is kept, never handed out again', async () => {
    const event = await p.createOpenEvent(5);
    expect((await p.apply(event.id, '1')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
    const pid = kafka.pid as number;
    process.kill(pid, 'SIGSTOP');
    try {
      // The request is written to the broker's socket and times out: whether it lands is unknown.
      const started = Date.now();
      const failed = await p.apply(event.id, '2', 90_000).then(
        () => 'answered',
        (err: unknown) => codeOf(err),
      );
      expect(failed).toBe('UNAVAILABLE');
      // Still hung well after every retry gave up: the admission is kept, not undone.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + 55_000 - Date.now())));
      expect(await entryOf(event.id, '2')).toMatch(/^P\|2\|/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // The participant retries: the same application, not a second position.
    const again = await eventually(
      () =>
        p.apply(event.id, '2', 30_000).then(
          (r) => r,
          () => undefined,
        ),
      90_000,
      'a retry answered',
    );
    expect(again.outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ALREADY_APPLIED);
    expect(again.application?.position).toBe(2);
  }, 240_000);

  describe('back-pressure (item 5)', () => {
    const applyTo = (client: EventServiceClient, eventId: string, participantId: string, deadlineMs: number) =>
      callUnary(client.apply.bind(client), { eventId, participantId }, { deadlineMs });
    /** How an apply ended, and after how long. */
    const settle = async (call: Promise<unknown>) => {
      const started = Date.now();
      const outcome = await call.then(
        () => 'answered',
        (err: unknown) => codeOf(err),
      );
      return { outcome, ms: Date.now() - started };
    };

    it('bounds the queue, and drops a call whose deadline passed before it reached the gate', async () => {
      const event = await p.createOpenEvent(5);
      expect((await p.apply(event.id, '1')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
      await kafka.kill();
      // 2's batch retries its produce; 3 and 4 wait behind it, which fills the queue; 5 finds it full.
      const held = applyTo(patientClient, event.id, '2', 150_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const expiring = settle(applyTo(patientClient, event.id, '3', 1_500));
      const queued = applyTo(patientClient, event.id, '4', 150_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const full = await settle(applyTo(patientClient, event.id, '5', 30_000));
      expect(full.outcome).toBe('UNAVAILABLE');
      expect(full.ms).toBeLessThan(1_000);
      expect((await expiring).outcome).toBe('DEADLINE_EXCEEDED');
      await kafka.start();
      expect((await held).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
      expect((await queued).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
      // 3 gave up before its turn: never admitted. 5 never queued.
      expect(await entryOf(event.id, '3')).toBeNull();
      expect(await entryOf(event.id, '5')).toBeNull();
    }, 240_000);

    it('answers UNAVAILABLE at once while the producer is failing, without reaching the gate', async () => {
      const event = await p.createOpenEvent(5);
      expect((await p.apply(event.id, '1')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
      await kafka.kill();
      try {
        const failing = settle(p.apply(event.id, '2', 60_000));
        await eventually(async () => ((await entryOf(event.id, '2')) !== null ? true : undefined), 10_000, '2 admitted');
        // Its first produce attempt has failed, or has been waiting for the broker for longer than the fail-fast 1 s.
        await new Promise((resolve) => setTimeout(resolve, 1_300));
        const refused = await settle(p.apply(event.id, '3', 60_000));
        expect(refused.outcome).toBe('UNAVAILABLE');
        expect(refused.ms).toBeLessThan(1_000);
        expect((await failing).outcome).toBe('UNAVAILABLE');
        // 3 never reached the gate: no position was taken for it (1 and 2 took the first two).
        expect((await readHotState(redis, eventKeys(p.prefix, event.id)))?.seq).toBe(2);
        expect(await entryOf(event.id, '3')).toBeNull();
      } finally {
        await kafka.start();
      }
    }, 240_000);
  });
});
