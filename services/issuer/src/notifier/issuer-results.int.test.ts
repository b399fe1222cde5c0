import { encodeRecord } from '@fcfs/stock';
import { QueryTypes } from 'sequelize';
import {
  createTestDatabase,
  createTestTopics,
  eventually,
  randomSuffix,
  testKafka,
  dropRedisKeys,
  testLogger,
  urls,
  type TestDatabase,
} from '../../../../test/support';
import { startIssuer, type RunningIssuer } from '../app';
import { loadServiceConfig } from '../config';
import { emailsToDomain, insertParticipants, outboxRows, percentile } from '../../test/outbox';

// End to end through the issuer: applications on Kafka -> decisions and outbox rows in MySQL ->
// the notifier -> the SES emulator. The records are produced the way the event service produces them.
describe('result e-mails of an event decided by the issuer (Kafka, Redis, MariaDB, SES emulator)', () => {
  let db: TestDatabase;
  let issuer: RunningIssuer | undefined;
  const prefix = `t${randomSuffix()}:`;

  beforeAll(async () => {
    db = await createTestDatabase('fcfs_results');
  });

  afterAll(async () => {
    await issuer?.stop();
    await db.drop();
    await dropRedisKeys([prefix]);
  });

  it('200 applicants for a stock of 20: 200 e-mails, once each, the 20 winners with the gift code MySQL holds', async () => {
    const domain = `e${randomSuffix()}.example`;
    const emails = Array.from({ length: 200 }, (_, i) => `applicant-${i + 1}@${domain}`);
    const ids = await insertParticipants(db.sequelize, emails);
    const [eventId] = (await db.sequelize.query(
      `INSERT INTO events (name, status, stock, opened_at, created_at, updated_at) VALUES ('Issuer Drop', 'OPEN', 20, NOW(3), NOW(3), NOW(3))`,
      { type: QueryTypes.INSERT },
    )) as unknown as [number];

    const { topic, dlq } = await createTestTopics(3);
    issuer = await startIssuer(
      loadServiceConfig({
        LOG_LEVEL: 'silent',
        REDIS_URL: urls.redis,
        MYSQL_URL: db.url,
        KAFKA_BROKERS: urls.kafkaBrokers.join(','),
        KAFKA_APPLICATIONS_TOPIC: topic,
        KAFKA_DLQ_TOPIC: dlq,
        KAFKA_ISSUER_GROUP: `issuer-${randomSuffix()}`,
        STOCK_REDIS_PREFIX: prefix,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: '0',
        METRICS_PORT: '0',
        SES_ENDPOINT: urls.ses,
        // The emulator has no send-rate limit; SES's default of 14/s would take 14 s for 200 e-mails.
        SES_SEND_RATE_PER_SECOND: '500',
        SES_SEND_BUDGET_KEY: `${prefix}{ses}:send-budget`,
        NOTIFIER_CONCURRENCY: '32',
        NOTIFIER_POLL_MS: '200',
      }),
      { logger: testLogger('issuer') },
    );

    const producer = testKafka().producer({ idempotent: true });
    await producer.connect();
    const appliedAtMs = Date.now();
    await producer.send({
      topic,
      acks: -1,
      messages: emails.map((email, i) => ({
        key: String(eventId),
        value: encodeRecord({
          eventId: String(eventId),
          participantId: ids.get(email) ?? '',
          position: i + 1,
          appliedAtMs: appliedAtMs + i,
          gateDecidedAtMs: undefined,
        }),
      })),
    });
    await producer.disconnect();

    const rows = await eventually(
      async () => {
        const all = await outboxRows(db.sequelize, String(eventId));
        return all.length === 200 && all.every((r) => r.status === 'SENT') ? all : undefined;
      },
      90_000,
      '200 result e-mails sent',
    );

    const stored = await emailsToDomain(domain, appliedAtMs, urls.ses);
    expect(stored).toHaveLength(200);
    expect(new Set(stored.map((e) => e.destination.to[0])).size).toBe(200);
    const gifts = await db.sequelize.query<{ email: string; code: string }>(
      'SELECT p.email, g.code FROM gifts g JOIN participants p ON p.id = g.participant_id WHERE g.event_id = ?',
      { replacements: [eventId], type: QueryTypes.SELECT },
    );
    expect(gifts).toHaveLength(20);
    const codeOf = new Map(gifts.map((g) => [g.email, g.code]));
    const winners = stored.filter((e) => codeOf.has(e.destination.to[0] ?? ''));
    expect(winners).toHaveLength(20);
    expect(new Set(winners.map((e) => e.destination.to[0]))).toEqual(new Set(emails.slice(0, 20)));
    for (const e of winners) expect(e.body.text).toContain(`Your gift code: ${codeOf.get(e.destination.to[0] ?? '')}`);
    for (const e of stored.filter((s) => !winners.includes(s))) expect(e.subject).toBe('Your result for Issuer Drop');

    const ms = rows.map((r) => Number(r.ms_to_send));
    process.stdout.write(
      `issuer -> notifier: 200 result e-mails, decision -> sent p50 ${percentile(ms, 50).toFixed(0)} ms, p95 ${percentile(ms, 95).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms\n`,
    );
  });
});
