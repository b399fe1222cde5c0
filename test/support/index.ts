// Helpers for integration tests: every test isolates itself with its own database,
// Redis key prefix, topic and consumer group, so suites can run side by side.
import { randomBytes } from 'node:crypto';
import { createLogger, deleteKeysByPrefix, type Logger } from '@fcfs/kit';
import { createSequelize } from '@fcfs/kit/mysql';
import { createMigrator, ensureDatabase } from '@fcfs/db';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { Sequelize } from 'sequelize';
import { waitForLeaders } from '../../infra/topics';

// One copy of the port helpers for infra/, scripts/ and the tests.
export { freePort } from '../../infra/lib/net';

/** The real components' addresses: env URLs when set, else the local infrastructure's. */
export const urls = {
  redis: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
  mysql: process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/fcfs',
  kafkaBrokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
  ses: process.env['SES_ENDPOINT'] ?? 'http://127.0.0.1:8005',
};

export function randomSuffix(bytes = 4): string {
  return randomBytes(bytes).toString('hex');
}

/** A quiet logger for the code under test; LOG_LEVEL=debug shows it. */
export function testLogger(name = 'test'): Logger {
  return createLogger(name, process.env['TEST_LOG_LEVEL'] ?? 'silent');
}

export interface TestDatabase {
  url: string;
  name: string;
  sequelize: Sequelize;
  drop(): Promise<void>;
}

/**
 * A fresh database with every migration applied, on the shared server or the one `serverUrl`
 * names (e.g. a private MariaDB a failure test stops); `drop()` removes it, and gives up
 * quietly if that server is gone.
 */
export async function createTestDatabase(prefix = 'fcfs_test', serverUrl = urls.mysql): Promise<TestDatabase> {
  const name = `${prefix}_${randomSuffix()}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  const sequelize = createSequelize(url.toString(), testLogger('sequelize'));
  await createMigrator(sequelize).up();
  return {
    url: url.toString(),
    name,
    sequelize,
    async drop() {
      await sequelize.query(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => undefined);
      await sequelize.close();
    },
  };
}

/** Removes a test's Redis keys by prefix; the shared Redis is never flushed. */
export async function dropRedisKeys(prefixes: string[], url = urls.redis): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    for (const prefix of prefixes) await deleteKeysByPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

export function testKafka(brokers = urls.kafkaBrokers): Kafka {
  return new Kafka({ clientId: `test-${randomSuffix()}`, brokers, logLevel: logLevel.NOTHING });
}

/** Creates a fresh topic (and its DLQ twin) and returns their names once every partition has a leader. */
export async function createTestTopics(partitions = 3, brokers = urls.kafkaBrokers): Promise<{ topic: string; dlq: string }> {
  const suffix = randomSuffix();
  const topic = `test.applications.${suffix}`;
  const dlq = `${topic}.dlq`;
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: false,
      topics: [
        { topic, numPartitions: partitions, replicationFactor: 1 },
        { topic: dlq, numPartitions: 1, replicationFactor: 1 },
      ],
    });
    await waitForLeaders(admin, [topic, dlq]);
  } finally {
    await admin.disconnect();
  }
  return { topic, dlq };
}

/** Polls until `check` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An e-mail the SES v2 emulator received (its `GET /store`). */
export interface StoredEmail {
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
  messageId: string;
}

/**
 * When this test file started (the emulator stamps e-mails in whole seconds), less a margin: what
 * a test sends comes after it, and the emulator's whole store — every e-mail since it started,
 * benchmark runs included — never has to be read.
 */
const LOADED_AT_SECONDS = Math.floor(Date.now() / 1000) - 5;

export async function sesStore(endpoint = urls.ses, sinceSeconds = LOADED_AT_SECONDS): Promise<StoredEmail[]> {
  const res = await fetch(`${endpoint}/store?since=${sinceSeconds}`);
  if (!res.ok) throw new Error(`SES emulator store answered ${res.status}`);
  const body = (await res.json()) as { emails: StoredEmail[] };
  return body.emails;
}

/** The e-mails the emulator holds for one address. */
export async function emailsTo(address: string, endpoint = urls.ses): Promise<StoredEmail[]> {
  return (await sesStore(endpoint)).filter((e) => e.destination.to.some((to) => to.toLowerCase() === address.toLowerCase()));
}
