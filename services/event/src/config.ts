import { env, infraEnv, loadConfig } from '@fcfs/kit';
import { z } from 'zod';

/** The event service's environment, with working development defaults. */
export const configSchema = z
  .object({
    ...infraEnv,
    GRPC_HOST: env.host('0.0.0.0'),
    GRPC_PORT: env.port(50052),
    METRICS_PORT: env.port(9102),
    /** The auth service, for the public keys that verify admin tokens. */
    AUTH_ADDRESS: env.address('127.0.0.1:50051'),
    /** Prefix of every Redis key of the line; the issuer must use the same. */
    LINE_REDIS_PREFIX: z.string().max(64).default('fcfs:'),
    /** The issuer's consumer group, for the lag in GetEventStats. */
    KAFKA_ISSUER_GROUP: z.string().min(1).default('issuer'),
    /** How long concurrent applies are gathered into one gate batch: one Lua call per event and one produce. */
    GATE_BATCH_WAIT_MS: env.nonNegativeInt(1),
    /** Applications per gate batch (an ApplyBatch request is never split). */
    GATE_BATCH_MAX: env.positiveInt(2_000),
    /** How often PENDING applications whose record never reached Kafka are swept; 0: never. */
    SWEEP_INTERVAL_MS: env.nonNegativeInt(30_000),
    /**
     * A PENDING younger than this is never swept: far longer than any produce can take (see sweeper/rule.ts).
     * The producer's worst case (request timeout and retries) is about 55 s; two minutes leave room for clock skew.
     */
    SWEEP_PENDING_AFTER_MS: env.positiveInt(120_000),
  })
  .transform((e) => ({
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    mysqlUrl: e.MYSQL_URL,
    grpc: { host: e.GRPC_HOST, port: e.GRPC_PORT },
    metrics: { host: e.GRPC_HOST, port: e.METRICS_PORT },
    authAddress: e.AUTH_ADDRESS,
    line: { redisPrefix: e.LINE_REDIS_PREFIX },
    gate: { batchWaitMs: e.GATE_BATCH_WAIT_MS, batchMax: e.GATE_BATCH_MAX },
    sweep: { intervalMs: e.SWEEP_INTERVAL_MS, pendingAfterMs: e.SWEEP_PENDING_AFTER_MS },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      topic: e.KAFKA_APPLICATIONS_TOPIC,
      issuerGroup: e.KAFKA_ISSUER_GROUP,
    },
  }));

export type EventConfig = z.infer<typeof configSchema>;

export function loadServiceConfig(environment: Record<string, string | undefined> = process.env): EventConfig {
  return loadConfig(configSchema, environment);
}
