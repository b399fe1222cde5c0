// kafkajs (the platform's Kafka client, unmaintained since 2023) against the broker the tests run on
// (Kafka 4.x, as in production), for each protocol feature the parts use: the idempotent acks=all
// producer (event service, DLQ), the classic consumer group protocol with kafkajs' eager rebalancing
// (issuer), committed offsets and the admin calls behind the lag (event service). Kafka 4 removed
// old protocol versions (KIP-896); a kafkajs request the broker no longer serves fails here first.
import { Partitioners } from 'kafkajs';
import type { Consumer, Kafka } from 'kafkajs';
import { createTestTopics, eventually, randomSuffix, testKafka } from '../test/support';

jest.setTimeout(120_000);

const PARTITIONS = 3;

interface Member {
  consumer: Consumer;
  /** partitions of the latest assignment (GROUP_JOIN) */
  assigned: () => number[];
}

/** A group member that records each value it consumes in `seen` and commits its offset. */
async function join(kafka: Kafka, groupId: string, topic: string, seen: Set<string>): Promise<Member> {
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 500 });
  let assigned: number[] = [];
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    assigned = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      seen.add(message.value?.toString() ?? '');
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    },
  });
  return { consumer, assigned: () => assigned };
}

describe('kafkajs against the broker (Kafka 4.x)', () => {
  const kafka = testKafka();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const admin = kafka.admin();
  const members: Member[] = [];
  let topic = '';
  const groupId = `kafka-client-test-${randomSuffix()}`;

  const send = (from: number, count: number) =>
    producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: count }, (_, i) => ({ key: `key-${(from + i) % 7}`, value: `v${from + i}` })),
    });
  const seen = new Set<string>();

  beforeAll(async () => {
    ({ topic } = await createTestTopics(PARTITIONS));
    await Promise.all([producer.connect(), admin.connect()]);
  });

  afterAll(async () => {
    await Promise.all(members.map((m) => m.consumer.disconnect()));
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  test('an idempotent acks=all produce lands on every partition', async () => {
    const results = await send(0, 60);
    expect(new Set(results.map((r) => r.partition)).size).toBe(PARTITIONS);
    for (const r of results) expect(r.errorCode).toBe(0);
  });

  test('one group, eager rebalancing: a second member splits the partitions, the survivor takes them back', async () => {
    members.push(await join(kafka, groupId, topic, seen));
    await eventually(() => (members[0]!.assigned().length === PARTITIONS ? true : undefined), 30_000, 'first assignment');
    members.push(await join(kafka, groupId, topic, seen));
    // both members hold partitions and, together, each partition exactly once
    const split = () => members.flatMap((m) => m.assigned()).sort((a, b) => a - b);
    await eventually(
      () => (members.every((m) => m.assigned().length > 0) && split().join() === '0,1,2' ? true : undefined),
      30_000,
      'both members assigned, each partition once',
    );

    await send(60, 60);
    await eventually(() => (seen.size === 120 ? true : undefined), 30_000, 'all 120 records consumed');

    await members.pop()!.consumer.disconnect();
    await eventually(() => (members[0]!.assigned().length === PARTITIONS ? true : undefined), 30_000, 'reassignment');
    await send(120, 30);
    await eventually(() => (seen.size === 150 ? true : undefined), 30_000, 'records after the rebalance');
  });

  test('committed offsets equal the end offsets (no lag), read with the admin calls the lag gauge uses', async () => {
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const lag = ends.reduce((sum, end) => {
      const c = committed!.partitions.find((p) => p.partition === end.partition);
      return sum + Number(end.high) - Number(c?.offset ?? 0);
    }, 0);
    expect(ends.reduce((s, e) => s + Number(e.high), 0)).toBe(150);
    expect(lag).toBe(0);
  });

  test('a member that joins after everyone left resumes at the committed offsets', async () => {
    await Promise.all(members.splice(0).map((m) => m.consumer.disconnect()));
    seen.clear();
    members.push(await join(kafka, groupId, topic, seen));
    await eventually(() => (members[0]!.assigned().length === PARTITIONS ? true : undefined), 30_000, 'assignment');
    await send(150, 3);
    await eventually(() => (seen.size === 3 ? true : undefined), 30_000, 'the 3 new records');
    expect([...seen].sort()).toEqual(['v150', 'v151', 'v152']);
  });
});
