import { callUnary } from '@fcfs/kit';
import { eventKeys, readHotState } from '@fcfs/stock';
import { Redis } from 'ioredis';
import { eventually, testKafka, urls } from '../support';
import { startPipeline, type Pipeline } from './harness';

// Test 3 of the issue: the same records consumed twice give the same decisions and nothing more.
describe('redelivery (real Kafka, Redis, MariaDB)', () => {
  let p: Pipeline;
  const redis = new Redis(urls.redis);

  beforeAll(async () => {
    p = await startPipeline({ issuer: false });
  });
  afterAll(async () => {
    await p?.stop();
    redis.disconnect();
  });

  const snapshot = async (eventId: string) => {
    const [apps] = await p.db.sequelize.query(
      'SELECT participant_id, status, position, decided_at FROM applications WHERE event_id = ? ORDER BY participant_id',
      { replacements: [eventId] },
    );
    const [gifts] = await p.db.sequelize.query(
      'SELECT participant_id, code, position FROM gifts WHERE event_id = ? ORDER BY participant_id',
      {
        replacements: [eventId],
      },
    );
    const keys = eventKeys(p.prefix, eventId);
    return {
      apps,
      gifts,
      outbox: await p.count('SELECT COUNT(*) n FROM outbox WHERE event_id = ?', [eventId]),
      redis: await redis.hgetall(keys.apps),
    };
  };

  const committedToEnd = async () => {
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const [ends, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(p.topic),
        admin.fetchOffsets({ groupId: p.group, topics: [p.topic] }),
      ]);
      const done = (e: { partition: number; high: string }) =>
        e.high === '0' || committed?.partitions.find((c) => c.partition === e.partition)?.offset === e.high;
      return ends.every(done) ? true : undefined;
    } finally {
      await admin.disconnect();
    }
  };

  it('seeking back and consuming again: no second gift, stock unchanged, the same decisions', async () => {
    const event = await p.createOpenEvent(50);
    const total = 3_000;
    const items = Array.from({ length: total }, (_, i) => ({ eventId: event.id, participantId: String(i + 1) }));
    for (let i = 0; i < total; i += 500) {
      await callUnary(p.client.applyBatch.bind(p.client), { applications: items.slice(i, i + 500) }, { deadlineMs: 30_000 });
    }

    // The issuer starts on a full topic: its decisions per second, first decision to last.
    await p.startIssuer();
    const first = await eventually(
      async () =>
        (await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id])) > 0 ? Date.now() : undefined,
      60_000,
    );
    await eventually(
      async () =>
        (await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id])) === total ? true : undefined,
      60_000,
    );
    const drained = Date.now() - first;
    process.stdout.write(
      `test 3: the issuer decided ${total} queued applications in ~${drained} ms (~${Math.round((total * 1000) / Math.max(drained, 1))}/s)\n`,
    );
    await eventually(committedToEnd, 30_000, 'offsets committed');
    const before = await snapshot(event.id);
    const stateBefore = await readHotState(redis, eventKeys(p.prefix, event.id));
    expect(before.gifts).toHaveLength(50);
    expect(before.outbox).toBe(total);

    // Seek the group back to the start and consume everything again.
    await p.stopIssuer();
    const admin = testKafka().admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: p.group, topic: p.topic, earliest: true });
    await admin.disconnect();
    await p.startIssuer();
    await eventually(committedToEnd, 60_000, 'the topic consumed a second time');

    const after = await snapshot(event.id);
    expect(after).toEqual(before);
    expect(await readHotState(redis, eventKeys(p.prefix, event.id))).toEqual(stateBefore);
    const issuer = p.issuerClient();
    expect(await callUnary(issuer.reconcile.bind(issuer), { eventId: event.id })).toMatchObject({
      consistent: true,
      issuedMysql: 50,
    });
  }, 180_000);
});
