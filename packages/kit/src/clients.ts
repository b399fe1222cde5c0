import { SESv2Client } from '@aws-sdk/client-sesv2';
import { Redis, type RedisOptions } from 'ioredis';
import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import { Sequelize, type Options as SequelizeOptions } from 'sequelize';

/** ioredis with bounded retries, so a Redis outage surfaces as an error, not a hang. */
export function createRedis(url: string, logger: Logger, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 100, 2_000),
    ...options,
  });
  let lastError = '';
  redis.on('error', (err: Error) => {
    // ioredis repeats the same error on every reconnect attempt; log it once per change.
    if (err.message !== lastError) logger.warn({ err: err.message }, 'redis error');
    lastError = err.message;
  });
  redis.on('ready', () => {
    if (lastError) logger.info('redis reconnected');
    lastError = '';
  });
  return redis;
}

const KAFKA_LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** kafkajs logging through pino; its chatty INFO lines are demoted to debug. */
export function createKafka(
  { clientId, brokers, ...rest }: { clientId: string; brokers: string[] } & Partial<KafkaConfig>,
  logger: Logger,
): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 100, retries: 5, maxRetryTime: 2_000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...extra } = entry;
        const method = KAFKA_LEVELS[level] === 'info' ? 'debug' : (KAFKA_LEVELS[level] ?? 'debug');
        log[method](extra, message);
      },
    ...rest,
  });
}

/** Sequelize over mysql2 (MariaDB locally, MySQL 8 in production), UTC, quiet. */
export function createSequelize(url: string, logger: Logger, options: SequelizeOptions = {}): Sequelize {
  const log = logger.child({ component: 'sequelize' });
  return new Sequelize(url, {
    dialect: 'mysql',
    timezone: '+00:00',
    logging: (sql: string) => log.trace({ sql }, 'query'),
    pool: { max: 10, min: 0, acquire: 10_000, idle: 10_000 },
    dialectOptions: { connectTimeout: 5_000 },
    ...options,
  });
}

export interface SesSettings {
  endpoint?: string | undefined;
  region: string;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
}

/** SES v2; `endpoint` points at the local emulator in development and tests. */
export function createSes({ endpoint, region, accessKeyId, secretAccessKey }: SesSettings): SESv2Client {
  return new SESv2Client({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    maxAttempts: 1,
  });
}
