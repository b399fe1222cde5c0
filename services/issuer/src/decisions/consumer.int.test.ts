import { defineStockScripts } from '@fcfs/stock';
import { Redis } from 'ioredis';
import { startPipeline, type Pipeline } from '../../../../test/pipeline/harness';
import { eventually, randomSuffix, testKafka, testLogger, urls } from '../../../../test/support';
import { createIssuerConsumer, type IssuerConsumer } from './consumer';
import { createDecider } from './decider';

// Issue 12, item 7: a batch of many slow chunks must heartbeat between them, or the group evicts the member.
describe('the issuer consumer (real Kafka, Redis, MariaDB)', () => {
  const redis = new Redis(urls.redis);
  let p: Pipeline;
  let consumer: IssuerConsumer | undefined;

  beforeAll(async () => {
    p = await startPipeline({ issuer: false, partitions: 1 });
  });
  afterAll(async () => {
    await consumer?.stop();
    await p?.stop();
    redis.disconnect();
  });

  it('heartbeats per chunk: a batch longer than the session is decided without a rebalance', async () => {
    const event = await p.createOpenEvent(100);
    const participants = Array.from({ length: 12 }, (_, i) => String(i + 1));
    for (const id of participants) await p.apply(event.id, id);

    // Each chunk (one record) takes 0.8 s: the batch takes about 10 s, the session is 6 s.
    const decider = createDecider({
      redis,
      scripts: defineStockScripts(redis),
      sequelize: p.db.sequelize,
      prefix: p.prefix,
      now: Date.now,
    });
    const slow = {
      ...decider,
      decide: async (...args: Parameters<typeof decider.decide>) => {
        await new Promise((resolve) => setTimeout(resolve, 800));
        return decider.decide(...args);
      },
    };
    consumer = createIssuerConsumer(
      testKafka(p.env.KAFKA_BROKERS.split(',')),
      slow,
      {
        topic: p.topic,
        dlqTopic: p.dlq,
        groupId: `slow-${randomSuffix()}`,
        partitionsConsumedConcurrently: 1,
        chunkSize: 1,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 1_000,
      },
      testLogger('issuer-slow'),
    );
    let joins = 0;
    consumer.consumer.on(consumer.consumer.events.GROUP_JOIN, () => void joins++);
    let commits = 0;
    consumer.consumer.on(consumer.consumer.events.COMMIT_OFFSETS, () => void commits++);
    await consumer.start();

    await eventually(() => (commits > 0 ? true : undefined), 60_000, 'the batch committed');
    expect(await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id])).toBe(participants.length);
    expect(joins).toBe(1);
  }, 120_000);
});
