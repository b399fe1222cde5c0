// Smoke tests for the local infrastructure (infra/infra.js): each one talks to the real
// component and fails if it is not really there.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import * as infra from './infra';
import type { UpResult } from './infra';

jest.setTimeout(120_000);

const suffix = () => randomBytes(4).toString('hex');
const kafkaClient = (brokers: string[]) => new Kafka({ clientId: `infra-test-${suffix()}`, brokers, logLevel: logLevel.NOTHING });

/** Produce one record to a fresh topic (created first) and return what a fresh consumer group reads back. */
async function roundTrip(brokers: string[], topic: string, value: string, create = true): Promise<string> {
  const kafka = kafkaClient(brokers);
  if (create) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
      await infra.waitForLeaders(admin, [topic]);
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
    } finally {
      await producer.disconnect();
    }
  }
  const consumer = kafka.consumer({ groupId: `infra-test-${suffix()}`, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no record consumed from ${topic} within 30 s`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve(message.value?.toString() ?? '');
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

describe('local infrastructure (infra/infra.js)', () => {
  let first: UpResult;

  beforeAll(async () => {
    first = await infra.up({ quiet: true });
  });

  test('up() is idempotent: a second call starts nothing and reports the same processes', async () => {
    const second = await infra.up({ quiet: true });
    for (const c of ['kafka', 'redis', 'mysql', 'ses'] as const) {
      expect(second[c].started).toBe(false);
      expect(second[c].pid).toBe(first[c].pid);
      const pid = second[c].pid;
      if (pid !== null) expect(() => process.kill(pid, 0)).not.toThrow();
    }
    const status = await infra.status({ quiet: true });
    expect(status.map((s) => [s.name, s.up])).toEqual([
      ['kafka', true],
      ['redis', true],
      ['mysql', true],
      ['ses', true],
    ]);
  });

  test('kafka: a record goes through the local broker, and the platform topics exist', async () => {
    const { kafkaBrokers, applicationsPartitions } = infra.config();
    const value = `hello-${suffix()}`;
    await expect(roundTrip(kafkaBrokers, `infra.smoke.${suffix()}`, value)).resolves.toBe(value);

    const admin = kafkaClient(kafkaBrokers).admin();
    await admin.connect();
    try {
      const md = await admin.fetchTopicMetadata({ topics: [infra.TOPIC_APPLICATIONS, infra.TOPIC_APPLICATIONS_DLQ] });
      const partitions = Object.fromEntries(md.topics.map((t) => [t.name, t.partitions.length]));
      expect(partitions).toEqual({ [infra.TOPIC_APPLICATIONS]: applicationsPartitions, [infra.TOPIC_APPLICATIONS_DLQ]: 1 });
      const cfg = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2 /* TOPIC */, name: infra.TOPIC_APPLICATIONS, configNames: ['retention.ms'] }],
      });
      expect(cfg.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue).toBe(
        String(7 * 24 * 3600 * 1000),
      );
    } finally {
      await admin.disconnect();
    }
  });

  test('redis answers at REDIS_URL', async () => {
    const redis = new Redis(infra.config().redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      const key = `infra:smoke:${suffix()}`;
      await redis.set(key, 'v', 'EX', 30);
      expect(await redis.get(key)).toBe('v');
      await redis.del(key);
    } finally {
      redis.disconnect();
    }
  });

  test('mysql answers at MYSQL_URL and its database exists in utf8mb4', async () => {
    const conn = await mysql.createConnection(infra.config().mysqlUrl);
    try {
      const [rows] = await conn.query('SELECT DATABASE() AS db, @@character_set_database AS cs');
      const row = (rows as { db: string; cs: string }[])[0];
      expect(row?.db).toBe(new URL(infra.config().mysqlUrl).pathname.slice(1));
      expect(row?.cs).toBe('utf8mb4');
    } finally {
      await conn.end();
    }
  });

  test('ses: an email sent through the SES v2 API shows up in the emulator store', async () => {
    const endpoint = infra.config().sesEndpoint;
    const ses = new SESv2Client({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const subject = `infra smoke ${suffix()}`;
    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'noreply@fcfs.test',
        Destination: { ToAddresses: ['someone@fcfs.test'] },
        Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: 'hi' } } } },
      }),
    );
    ses.destroy();
    const store = (await (await fetch(`${endpoint}/store`)).json()) as { emails: { subject: string }[] };
    expect(store.emails.some((e) => e.subject === subject)).toBe(true);
  });

  test('a private broker can be started, stopped and started again, keeping its data', async () => {
    const broker = await infra.startPrivateKafka({ quiet: true });
    try {
      expect(broker.brokers).not.toEqual(infra.config().kafkaBrokers);
      const topic = `infra.private.${suffix()}`;
      const value = `persisted-${suffix()}`;
      await expect(roundTrip(broker.brokers, topic, value)).resolves.toBe(value);

      await broker.stop();
      expect(broker.pid).toBeNull();
      expect(await infra.kafkaAnswers(broker.brokers)).toBe(false);
      // the shared broker is not disturbed
      expect(await infra.kafkaAnswers(infra.config().kafkaBrokers)).toBe(true);

      await broker.start();
      expect(await infra.kafkaAnswers(broker.brokers)).toBe(true);
      await expect(roundTrip(broker.brokers, topic, value, false)).resolves.toBe(value);
    } finally {
      await infra.stopPrivateKafka(broker);
    }
    expect(existsSync(broker.dir)).toBe(false);
  });

  test('a private MariaDB can be stopped and started again on the same data dir', async () => {
    const db = await infra.startPrivateMariadb({ quiet: true, database: 'infra_smoke' });
    try {
      let conn = await mysql.createConnection(db.url);
      await conn.query('CREATE TABLE t (id INT PRIMARY KEY)');
      await conn.query('INSERT INTO t VALUES (42)');
      await conn.end();

      await db.stop();
      await expect(mysql.createConnection({ uri: db.url, connectTimeout: 2000 })).rejects.toThrow();

      await db.start();
      conn = await mysql.createConnection(db.url);
      const [rows] = await conn.query('SELECT id FROM t');
      await conn.end();
      expect(rows).toEqual([{ id: 42 }]);
    } finally {
      await infra.stopPrivateMariadb(db);
    }
  });
});
