import { DeadLetter } from '@fcfs/proto';
import { encodeRecord } from '@fcfs/stock';
import { QueryTypes } from 'sequelize';
import {
  createTestDatabase,
  createTestTopics,
  dropRedisKeys,
  eventually,
  randomSuffix,
  testKafka,
  testLogger,
  urls,
  type TestDatabase,
} from '../../../../test/support';
import { startIssuer, type IssuerApp } from '../app';
import { loadServiceConfig } from '../config';

// A record whose MySQL write fails the same way every time must not stop its partition: it goes to the
// dead-letter topic with the reason, and the records around it and after it are decided.
describe('the issuer consumer and a record that always fails (Kafka, Redis, MariaDB)', () => {
  let db: TestDatabase;
  let issuer: IssuerApp | undefined;
  const prefix = `t${randomSuffix()}:`;

  beforeAll(async () => {
    db = await createTestDatabase('fcfs_poison');
  });
  afterAll(async () => {
    await issuer?.stop();
    await db?.drop();
    await dropRedisKeys([prefix]);
  });

  it('dead-letters it with the MySQL error and decides the others', async () => {
    const [eventId] = (await db.sequelize.query(
      "INSERT INTO events (name, status, stock, opened_at, created_at, updated_at) VALUES ('Poison', 'OPEN', 10, NOW(3), NOW(3), NOW(3))",
      { type: QueryTypes.INSERT },
    )) as unknown as [number];
    const event = String(eventId);
    const { topic, dlq } = await createTestTopics(1);
    issuer = await startIssuer(
      loadServiceConfig({
        LOG_LEVEL: 'silent',
        REDIS_URL: urls.redis,
        MYSQL_URL: db.url,
        KAFKA_BROKERS: urls.kafkaBrokers.join(','),
        KAFKA_APPLICATIONS_TOPIC: topic,
        KAFKA_DLQ_TOPIC: dlq,
        KAFKA_GROUP_ID: `issuer-${randomSuffix()}`,
        LINE_REDIS_PREFIX: prefix,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: '0',
        METRICS_PORT: '0',
      }),
      { logger: testLogger('issuer'), notifier: false, backoffMs: 50, maxBackoffMs: 500 },
    );

    const record = (participantId: string, position: number, appliedAtMs = Date.now()) => ({
      key: event,
      value: encodeRecord({ eventId: event, participantId, position, appliedAtMs, gateDecidedAtMs: undefined }),
    });
    const producer = testKafka().producer();
    await producer.connect();
    // Participant 2 applied in the year 11476: a valid record, but no DATETIME holds that, so its write
    // fails on every attempt (strict SQL mode, as on MariaDB and MySQL 8 by default).
    await producer.send({ topic, messages: [record('1', 1), record('2', 2, 300_000_000_000_000), record('3', 3)] });
    await producer.send({ topic, messages: [record('4', 4)] });
    await producer.disconnect();

    const decided = async () =>
      db.sequelize.query<{ participant_id: string | number; status: string }>(
        'SELECT participant_id, status FROM applications WHERE event_id = ? ORDER BY participant_id',
        { replacements: [event], type: QueryTypes.SELECT },
      );
    await eventually(async () => ((await decided()).length === 3 ? true : undefined), 60_000, 'the other records decided');
    expect((await decided()).map((r) => [String(r.participant_id), r.status])).toEqual([
      ['1', 'ISSUED'],
      ['3', 'ISSUED'],
      ['4', 'ISSUED'],
    ]);

    const consumer = testKafka().consumer({ groupId: `dlq-reader-${randomSuffix()}` });
    const letters: DeadLetter[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [dlq], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void letters.push(DeadLetter.decode(message.value ?? Buffer.alloc(0))),
    });
    await eventually(() => (letters.length >= 1 ? true : undefined), 30_000, 'the dead letter');
    await consumer.disconnect();
    expect(letters.map((l) => [l.topic, l.offset])).toEqual([[topic, '1']]);
    expect(letters[0]?.reason).toMatch(/^write failed: ER_TRUNCATED_WRONG_VALUE: Incorrect datetime value: '11476-/);
  }, 120_000);
});
