import { callUnary, createGrpcClient, devServiceCredentials } from '@fcfs/kit';
import { loadServiceConfig, startEvent, type ApplicationsProducer, type RunningEvent } from '@fcfs/event';
import type { Message } from 'kafkajs';
import { ApplicationStatus, ApplyOutcome, EventServiceClient, type ApplyResponse } from '@fcfs/proto';
import { eventKeys } from '@fcfs/stock';
import { Redis } from 'ioredis';
import { eventually, testLogger, urls } from '../support';
import { applyRetrying, startPipeline, type Pipeline } from './harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Issue 12, item 4: several event-service replicas share Redis and Kafka; their records reach the partition out
// of position order. Winners must still be the earliest positions, and `ahead` must count who still waits.
describe('three event-service replicas', () => {
  let p: Pipeline;
  const replicas: RunningEvent[] = [];
  const clients: EventServiceClient[] = [];
  let slowMs = 300;
  const redis = new Redis(urls.redis);
  beforeAll(async () => {
    p = await startPipeline({ issuer: false, partitions: 1 });
    clients.push(p.client);
    for (const name of ['event-2', 'event-3']) {
      // The second replica's produces reach the broker `slowMs` late (a slow path to the broker), so records of
      // earlier positions land after later ones from the other replicas.
      const slow = name === 'event-2';
      const replica = await startEvent(loadServiceConfig(p.env), {
        logger: testLogger(name),
        loadJwks: p.tokens.loadJwks,
        ...(slow
          ? {
              wrapProducer: (producer: ApplicationsProducer) => ({
                ...producer,
                send: (messages: Message[]) => sleep(slowMs).then(() => producer.send(messages)),
              }),
            }
          : {}),
      });
      replicas.push(replica);
      clients.push(createGrpcClient(EventServiceClient, `127.0.0.1:${replica.grpcPort}`, devServiceCredentials('bff')));
    }
  }, 60_000);
  afterAll(async () => {
    redis.disconnect();
    for (const c of clients.slice(1)) c.close();
    for (const r of replicas) await r.stop();
    await p?.stop();
  });

  it('gives the stock to exactly the earliest positions, in whatever order the records reached Kafka', async () => {
    const event = await p.createOpenEvent(150);
    const told = new Map<string, ApplyResponse>();
    const ids = Array.from({ length: 450 }, (_, i) => String(i + 1));
    // The herd through all three replicas at once, while the issuer is away: the records pile up in Kafka in
    // the order the replicas' produces landed, interleaved.
    await Promise.all(
      clients.map((client, r) =>
        applyRetrying(
          client,
          event.id,
          ids.filter((_, i) => i % 3 === r),
          (id, answer) => told.set(id, answer),
          { size: 5 },
        ),
      ),
    );
    const accepted = [...told.entries()].filter(([, a]) => a.outcome === ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
    expect(accepted).toHaveLength(150);

    // `ahead` counts the PENDING admissions before each one, whatever its position number.
    const byPosition = accepted.sort(([, a], [, b]) => (a.application?.position ?? 0) - (b.application?.position ?? 0));
    for (const [rank, [id]] of byPosition.entries()) {
      const { application } = await callUnary(p.client.getApplication.bind(p.client), { eventId: event.id, participantId: id });
      expect(application?.ahead).toBe(rank);
    }

    // The organiser lowers the stock while they wait: 150 in line compete for 100 items, decided in Kafka order.
    await callUnary(p.client.setStock.bind(p.client), { eventId: event.id, stock: 100 }, { metadata: p.admin() });
    await p.startIssuer();
    await eventually(
      async () =>
        (await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id])) === ids.length ? true : undefined,
      40_000,
      'every applicant decided',
    );
    const [rows] = await p.db.sequelize.query(
      "SELECT position FROM applications WHERE event_id = ? AND status = 'ISSUED' ORDER BY position",
      { replacements: [event.id] },
    );
    const winners = (rows as { position: number }[]).map((r) => Number(r.position));
    const earliest = byPosition.slice(0, 100).map(([, a]) => a.application?.position);
    expect(winners).toEqual(earliest);
    for (const [id] of byPosition.slice(100)) {
      const { application } = await callUnary(p.client.getApplication.bind(p.client), { eventId: event.id, participantId: id });
      expect(application?.status).toBe(ApplicationStatus.APPLICATION_STATUS_SOLD_OUT);
    }
  }, 90_000);

  it('shows in `ahead` the people earlier in line still waiting, though the issuer decided later positions', async () => {
    slowMs = 3_000;
    const event = await p.createOpenEvent(10);
    const [fast, slow] = [clients[0] as EventServiceClient, clients[1] as EventServiceClient];
    const get = (participantId: string) =>
      callUnary(p.client.getApplication.bind(p.client), { eventId: event.id, participantId }).then((r) => r.application);
    // 1 and 2 at positions 1 and 2 through the slow replica; 3 at position 3 through a fast one, decided first.
    const slowCall = callUnary(
      slow.applyBatch.bind(slow),
      { applications: ['1', '2'].map((participantId) => ({ eventId: event.id, participantId })) },
      { deadlineMs: 30_000 },
    );
    await eventually(async () => ((await get('2'))?.position === 2 ? true : undefined), 5_000, 'positions 1 and 2 taken');
    expect((await callUnary(fast.apply.bind(fast), { eventId: event.id, participantId: '3' })).application?.position).toBe(3);
    await eventually(
      async () => ((await get('3'))?.status === ApplicationStatus.APPLICATION_STATUS_ISSUED ? true : undefined),
      5_000,
      'position 3 decided',
    );
    // The issuer has decided position 3, yet 1 is still on its way: 2 has one person ahead, not 0.
    const waiting = await get('2');
    expect(waiting).toMatchObject({ status: ApplicationStatus.APPLICATION_STATUS_PENDING, ahead: 1 });
    await slowCall;
    slowMs = 300;
  }, 60_000);

  it('never hands a position out twice when Redis loses the event mid-herd with applications still in Kafka', async () => {
    slowMs = 300;
    await p.stopIssuer();
    const stock = 100;
    const event = await p.createOpenEvent(stock);
    const keys = eventKeys(p.prefix, event.id);
    const told = new Map<string, ApplyResponse>();
    const ids = Array.from({ length: 600 }, (_, i) => String(i + 1));
    // The herd through the three replicas, in calls of 5 at least 40 ms apart, while the issuer is away: every
    // record stays in Kafka, undecided, and no replica has seen every position handed out.
    const herd = Promise.all(
      clients.map(async (client, r) => {
        const share = ids.filter((_, i) => i % 3 === r);
        for (let i = 0; i < share.length; i += 5) {
          await applyRetrying(client, event.id, share.slice(i, i + 5), (id, answer) => told.set(id, answer));
          await sleep(40);
        }
      }),
    );
    await eventually(async () => (told.size >= 90 ? true : undefined), 20_000, 'the herd under way');
    await redis.del(keys.state, keys.apps, keys.line);
    const toldAtLoss = told.size;
    await sleep(1_500);
    await p.startIssuer();
    await herd;
    expect(toldAtLoss).toBeLessThan(ids.length);

    const positions = [...told.values()].map((a) => a.application?.position);
    expect(new Set(positions).size).toBe(ids.length);
    await eventually(
      async () =>
        (await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id])) === ids.length ? true : undefined,
      40_000,
      'every applicant decided',
    );
    expect(await p.count('SELECT COUNT(*) n FROM gifts WHERE event_id = ?', [event.id])).toBe(stock);
    expect(await p.count('SELECT COUNT(DISTINCT position) n FROM applications WHERE event_id = ?', [event.id])).toBe(ids.length);
  }, 90_000);
});
