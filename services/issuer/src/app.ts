import {
  callUnary,
  createGrpcClient,
  createGrpcServer,
  createServiceAuthenticator,
  serviceCredentials,
  trustedCallers,
  type AccessRules,
  type ServiceCredentials,
  createLogger,
  createRedis,
  createSendBudget,
  createTokenVerifier,
  startMetricsServer,
  type Logger,
  type RunningService,
  type TokenVerifier,
  type Tracing,
} from '@fcfs/kit';
import { hostname } from 'node:os';
import { createKafka } from '@fcfs/kit/kafka';
import { startTracing } from '@fcfs/kit/tracing';
import { createSequelize } from '@fcfs/kit/mysql';
import { createSes } from '@fcfs/kit/ses';
import { defineStockScripts } from '@fcfs/stock';
import { AuthServiceClient, IssuerServiceService } from '@fcfs/proto';
import type { JSONWebKeySet } from 'jose';
import type { Sequelize } from 'sequelize';
import type { Redis } from 'ioredis';
import type { IssuerConfig } from './config';
import { issuerHandlers } from './grpc/handlers';
import { createIssuerConsumer, type ConsumerSettings } from './decisions/consumer';
import { createDeadlinePoller } from './claims/deadlines';
import { groupSession, type GroupSession } from './group-session';
import { createDecider } from './decisions/decider';
import { createNotifier } from './notifier';

/** A participant's decision is the BFF's to ask for; gift codes and reconciliation are admin-only. */
const ISSUER_ACCESS: AccessRules<typeof IssuerServiceService> = {
  getDecision: 'participant',
  listGifts: 'admin',
  reconcile: 'admin',
  getGift: 'admin',
  redeemGift: 'admin',
};

/** A part of the issuer with its own lifecycle (the result e-mail notifier). */
export interface Startable {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
  /** New outbox rows were committed. */
  wake?(): void;
  /** The line committed decisions: background work should yield to it for a while. */
  lineBusy?(): void;
}

/**
 * What a test or an in-process launcher may replace. Everything from the environment (Redis and MySQL
 * URLs, brokers, the applications and DLQ topics, the consumer group, the stock's Redis key prefix) is in the
 * config: build it with `loadServiceConfig({ ...process.env, KAFKA_ISSUER_GROUP, KAFKA_APPLICATIONS_TOPIC, ... })`.
 */
export interface IssuerOverrides {
  logger?: Logger;
  now?: () => number;
  /** The result e-mail notifier; default: createNotifier over the config's SES settings; false: none. */
  notifier?: Startable | false;
  /** Retry delays while Redis or MySQL is down (tests shorten them). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** false: serve gRPC only, without consuming (tests that seek and re-consume start their own). */
  consume?: boolean;
  /** Tracing instead of the configured one (tests: an in-memory exporter). */
  tracing?: Tracing;
}

export type RunningIssuer = RunningService;

/** The result e-mail notifier: the override, none (`false`), or one sending through the config's SES. */
function chooseNotifier(
  config: IssuerConfig,
  overrides: IssuerOverrides,
  { sequelize, redis, logger, tracing }: { sequelize: Sequelize; redis: Redis; logger: Logger; tracing: Tracing },
): Startable | undefined {
  if (overrides.notifier === false) return undefined;
  const budget = createSendBudget(redis, config.ses.sendBudget);
  return overrides.notifier ?? createNotifier({ sequelize, ses: createSes(config.ses), budget, logger, config, tracing });
}

/** The consumer's topics, group and batching from the config; a test's shorter retry delays when given. */
function consumerSettings(
  config: IssuerConfig,
  overrides: IssuerOverrides,
  tracing: Tracing,
  session: GroupSession,
): ConsumerSettings {
  return {
    tracing,
    ...session,
    // An idle fetch returns within a heartbeat: kafkajs heartbeats only between fetches.
    maxWaitTimeMs: session.heartbeatIntervalMs,
    topic: config.kafka.applicationsTopic,
    dlqTopic: config.kafka.dlqTopic,
    groupId: config.kafka.issuerGroup,
    partitionsConsumedConcurrently: config.decisions.partitionsConcurrently,
    chunkSize: config.decisions.chunkSize,
    ...(overrides.backoffMs === undefined ? {} : { backoffMs: overrides.backoffMs }),
    ...(overrides.maxBackoffMs === undefined ? {} : { maxBackoffMs: overrides.maxBackoffMs }),
  };
}

/** Admin calls (RedeemGift) verify the forwarded token with the auth service's public keys, fetched on first use. */
function createAdminTokenVerifier(authAddress: string, identity: ServiceCredentials): { verifier: TokenVerifier; close(): void } {
  let authClient: AuthServiceClient | undefined;
  const verifier = createTokenVerifier({
    loadJwks: async () => {
      authClient ??= createGrpcClient(AuthServiceClient, authAddress, identity);
      return JSON.parse((await callUnary(authClient.getPublicKeys.bind(authClient), {})).jwksJson) as JSONWebKeySet;
    },
  });
  return { verifier, close: () => authClient?.close() };
}

export async function startIssuer(config: IssuerConfig, overrides: IssuerOverrides = {}): Promise<RunningIssuer> {
  const logger = overrides.logger ?? createLogger('issuer', config.logLevel);
  const now = overrides.now ?? Date.now;
  const prefix = config.stock.redisPrefix;

  const redis = createRedis(config.redis, logger);
  const sequelize = createSequelize(config.mysql.url, logger);
  const scripts = defineStockScripts(redis);
  // One client id per process (the pod's name in Kubernetes): the group's description says which replica owns what.
  const kafka = createKafka(
    { clientId: `issuer-${hostname()}-${process.pid}`, brokers: config.kafka.brokers, ...config.kafka.connection },
    logger,
  );
  const tracing = overrides.tracing ?? startTracing({ serviceName: 'issuer', ...config.tracing });
  const notifier = chooseNotifier(config, overrides, { sequelize, redis, logger, tracing });
  const decider = createDecider({
    redis,
    scripts,
    sequelize,
    prefix,
    now,
    onWritten: () => {
      // The notifier yields while the line is hot; one that cannot yield is woken to send now.
      if (notifier?.lineBusy) notifier.lineBusy();
      else notifier?.wake?.();
    },
  });
  const session = await groupSession(kafka, config.decisions, logger);
  const consumer = createIssuerConsumer(kafka, decider, consumerSettings(config, overrides, tracing, session), logger);

  const admin = createAdminTokenVerifier(config.upstream.auth, serviceCredentials(config.serviceIdentity));
  const authenticate = createServiceAuthenticator(trustedCallers(config.serviceTrust));
  const server = createGrpcServer({ ...config.grpc, logger, tracing, authenticate });
  server.add(
    'fcfs.v1.IssuerService',
    IssuerServiceService,
    issuerHandlers({ redis, sequelize, prefix, verifier: admin.verifier }),
    ISSUER_ACCESS,
  );

  const deadlines = createDeadlinePoller({ kafka, redis, scripts, prefix, topic: config.kafka.applicationsTopic, logger, now });
  if (overrides.consume !== false) {
    await consumer.start();
    await deadlines.start();
  }
  await notifier?.start();
  const grpcPort = await server.start();
  const ready = async (): Promise<boolean> => {
    const [pong] = await Promise.all([redis.ping(), sequelize.authenticate()]);
    return pong === 'PONG';
  };
  const metrics = await startMetricsServer({ ...config.metrics, logger, readiness: ready });

  let stopping: Promise<void> | undefined;
  return {
    name: 'issuer',
    grpcPort,
    metricsPort: metrics.port,
    ready,
    stop() {
      stopping ??= (async () => {
        server.setServing(false);
        await notifier?.stop();
        await deadlines.stop();
        await consumer.stop();
        await server.stop(5_000);
        await metrics.close();
        await redis.quit().catch(() => undefined);
        await sequelize.close();
        admin.close();
        await tracing.shutdown();
      })();
      return stopping;
    },
  };
}
