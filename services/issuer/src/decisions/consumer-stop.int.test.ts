import { createKafka } from '@fcfs/kit/kafka';
import { defineStockScripts } from '@fcfs/stock';
import { Redis } from 'ioredis';
import { startPipeline, type Pipeline } from '../../../../test/pipeline/harness';
import { eventually, randomSuffix, testLogger, urls } from '../../../../test/support';
import { createIssuerConsumer, type IssuerConsumer } from './consumer';
import { createDecider } from './decider';

// infra.js is plain CommonJS without types.
const infra = require('../../../../infra/infra.js') as {
  startPrivateKafka(opts?: { quiet?: boolean }): Promise<PrivateKafka>;
  stopPrivateKafka(handle: PrivateKafka): Promise<void>;
};
interface PrivateKafka {
  brokers: string[];
  start(): Promise<void>;
  kill(): Promise<void>;
}

// A stop that meets a crash: kafkajs restarts a consumer that crashed (here, its broker gone) after a delay, and
// a stop() racing that crash must not leave a restarted consumer behind, reconnecting in a stopped process.
describe('the issuer consumer stopped while it crashes (a private broker)', () => {
  const redis = new Redis(urls.redis);
  let kafka: PrivateKafka;
  let p: Pipeline;
  let consumer: IssuerConsumer | undefined;

  beforeAll(async () => {
    kafka = await infra.startPrivateKafka({ quiet: true });
    p = await startPipeline({ brokers: kafka.brokers, issuer: false, partitions: 1 });
  }, 180_000);
  afterAll(async () => {
    await consumer?.stop();
    await p?.stop();
    if (kafka) await infra.stopPrivateKafka(kafka);
    redis.disconnect();
  }, 120_000);

  it('does not restart once stop() has begun, even when the stop lands inside the crash', async () => {
    consumer = createIssuerConsumer(
      // The issuer's own client settings (its retries are spent in about two seconds).
      createKafka({ clientId: `issuer-stop-${randomSuffix()}`, brokers: kafka.brokers }, testLogger('issuer-stop')),
      createDecider({ redis, scripts: defineStockScripts(redis), sequelize: p.db.sequelize, prefix: p.prefix, now: Date.now }),
      {
        topic: p.topic,
        dlqTopic: p.dlq,
        groupId: `stop-${randomSuffix()}`,
        partitionsConsumedConcurrently: 1,
        chunkSize: 100,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 1_000,
        maxWaitTimeMs: 500,
      },
      testLogger('issuer-stop'),
    );
    const { events } = consumer.consumer;
    let joined = 0;
    consumer.consumer.on(events.GROUP_JOIN, () => void joined++);
    await consumer.start();
    await eventually(() => (joined > 0 ? true : undefined), 30_000, 'the consumer in its group');

    // The broker dies; the consumer crashes once its retries are spent. The crash first disconnects the consumer
    // (DISCONNECT), then decides whether to restart: stop() is called right there, inside the crash.
    let stopped: Promise<void> | undefined;
    let stoppedAt = 0;
    consumer.consumer.on(events.DISCONNECT, () => {
      stopped ??= (consumer as IssuerConsumer).stop().then(() => void (stoppedAt = Date.now()));
    });
    const crashes: { restart: boolean }[] = [];
    consumer.consumer.on(events.CRASH, (e) => void crashes.push({ restart: e.payload.restart }));
    let connectsAfterStop = 0;
    consumer.consumer.on(events.CONNECT, () => {
      if (stopped !== undefined) connectsAfterStop++;
    });
    await kafka.kill();
    await eventually(() => (stopped === undefined ? undefined : true), 60_000, 'the crash, and the stop inside it');
    await stopped;
    expect(crashes.map((c) => c.restart)).toEqual([false]);
    // Longer than any restart delay kafkajs would have scheduled (its backoff is well under a second here).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(connectsAfterStop).toBe(0);
    expect(stoppedAt).toBeGreaterThan(0);
    consumer = undefined;
    await kafka.start();
  }, 180_000);
});
