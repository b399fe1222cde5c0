import { env, infraEnv, loadConfig } from '@fcfs/kit';
import { z } from 'zod';
import { defaultSesEndpoint, notifierConfigSchema, type NotifierConfig } from './notifier';

/** The issuer's environment, with working development defaults. */
export const configSchema = z
  .object({
    ...infraEnv,
    GRPC_HOST: env.host('0.0.0.0'),
    GRPC_PORT: env.port(50053),
    METRICS_PORT: env.port(9103),
    /** The auth service, for the public keys that verify admin tokens (RedeemGift). */
    AUTH_ADDRESS: env.address('127.0.0.1:50051'),
    /** Prefix of every Redis key of the line; the event service must use the same. */
    LINE_REDIS_PREFIX: z.string().max(64).default('fcfs:'),
    KAFKA_GROUP_ID: z.string().min(1).default('issuer'),
    /** Partitions (so events) decided at the same time. */
    ISSUER_PARTITIONS_CONCURRENTLY: env.positiveInt(3),
    /** Applications decided by one Lua call and written by one MySQL transaction. */
    ISSUER_CHUNK_SIZE: env.positiveInt(1_000),
    ...notifierConfigSchema,
  })
  .transform((e) => ({
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    mysqlUrl: e.MYSQL_URL,
    authAddress: e.AUTH_ADDRESS,
    grpc: { host: e.GRPC_HOST, port: e.GRPC_PORT },
    metrics: { host: e.GRPC_HOST, port: e.METRICS_PORT },
    line: { redisPrefix: e.LINE_REDIS_PREFIX, chunkSize: e.ISSUER_CHUNK_SIZE },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      topic: e.KAFKA_APPLICATIONS_TOPIC,
      dlqTopic: e.KAFKA_DLQ_TOPIC,
      groupId: e.KAFKA_GROUP_ID,
      partitionsConsumedConcurrently: e.ISSUER_PARTITIONS_CONCURRENTLY,
    },
    notifier: {
      ...(Object.fromEntries(Object.keys(notifierConfigSchema).map((k) => [k, e[k as keyof typeof e]])) as NotifierConfig),
      SES_ENDPOINT: e.SES_ENDPOINT ?? defaultSesEndpoint(e.NODE_ENV),
    },
  }));

export type IssuerConfig = z.infer<typeof configSchema>;

export function loadServiceConfig(environment: Record<string, string | undefined> = process.env): IssuerConfig {
  return loadConfig(configSchema, environment);
}
