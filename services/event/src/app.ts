import {
  callUnary,
  createGrpcClient,
  createGrpcServer,
  createKafka,
  createLogger,
  createRedis,
  createSequelize,
  createTokenVerifier,
  startMetricsServer,
  type Logger,
  type TokenVerifier,
} from '@fcfs/kit';
import { defineModels } from '@fcfs/db';
import { defineStockScripts } from '@fcfs/stock';
import { AuthServiceClient, EventServiceService } from '@fcfs/proto';
import type { JSONWebKeySet } from 'jose';
import type { EventConfig } from './config';
import { createCatalog } from './events/catalog';
import { eventHandlers } from './grpc/handlers';
import { createGate } from './gate/gate';
import { createApplicationsProducer } from './gate/producer';
import { createLagReader } from './stats/lag';
import { createSweeper } from './sweeper/sweeper';
import { createWatchHub } from './watch/hub';

/**
 * What a test or an in-process launcher may replace. Everything that comes from the environment
 * (Redis and MySQL URLs, brokers, topic, the issuer's group for lag, the Redis key prefix) is in the
 * config: build it with `loadServiceConfig({ ...process.env, REDIS_URL, KAFKA_APPLICATIONS_TOPIC, ... })`.
 */
export interface EventOverrides {
  logger?: Logger;
  /** Verifies admin tokens; default: a verifier over `loadJwks`. */
  verifier?: TokenVerifier;
  /** Fetches the JWKS; default: AuthService.GetPublicKeys at `config.authAddress`. */
  loadJwks?: () => Promise<JSONWebKeySet>;
  now?: () => number;
}

export interface EventApp {
  grpcPort: number;
  metricsPort: number;
  stop(): Promise<void>;
}

export async function startEvent(config: EventConfig, overrides: EventOverrides = {}): Promise<EventApp> {
  const logger = overrides.logger ?? createLogger('event', config.logLevel);
  const now = overrides.now ?? Date.now;
  const prefix = config.line.redisPrefix;

  const redis = createRedis(config.redisUrl, logger);
  const subscriber = createRedis(config.redisUrl, logger, { maxRetriesPerRequest: null });
  const sequelize = createSequelize(config.mysqlUrl, logger);
  const models = defineModels(sequelize);
  const scripts = defineStockScripts(redis);
  const kafka = createKafka({ clientId: 'event', brokers: config.kafka.brokers }, logger);
  const producer = createApplicationsProducer(kafka, config.kafka.topic, logger);
  const admin = kafka.admin();

  let authClient: AuthServiceClient | undefined;
  const loadJwks =
    overrides.loadJwks ??
    (async () => {
      authClient ??= createGrpcClient(AuthServiceClient, config.authAddress);
      const { jwksJson } = await callUnary(authClient.getPublicKeys.bind(authClient), {});
      return JSON.parse(jwksJson) as JSONWebKeySet;
    });
  const verifier = overrides.verifier ?? createTokenVerifier({ loadJwks });

  await Promise.all([producer.connect(), admin.connect(), sequelize.authenticate()]);

  const rebuildDeps = { redis, scripts, sequelize, prefix };
  const catalog = createCatalog({ ...rebuildDeps, models, now });
  const gate = createGate({ ...rebuildDeps, producer, logger, now, ...config.gate });
  const hub = createWatchHub(subscriber, prefix, logger);
  const lag = createLagReader(admin, config.kafka.topic, config.kafka.issuerGroup);
  const sweeper = createSweeper({
    ...rebuildDeps,
    admin,
    topic: config.kafka.topic,
    issuerGroup: config.kafka.issuerGroup,
    logger,
    now,
    graceMs: config.sweep.pendingAfterMs,
    intervalMs: config.sweep.intervalMs,
  });

  const server = createGrpcServer({ host: config.grpc.host, port: config.grpc.port, logger });
  server.add(
    'fcfs.v1.EventService',
    EventServiceService,
    eventHandlers({ catalog, gate, hub, lag, redis, prefix, verifier, now }),
  );
  const grpcPort = await server.start();
  sweeper.start();
  const metrics = await startMetricsServer({
    host: config.metrics.host,
    port: config.metrics.port,
    logger,
    readiness: async () => (await redis.ping()) === 'PONG',
  });

  let stopping: Promise<void> | undefined;
  return {
    grpcPort,
    metricsPort: metrics.port,
    stop() {
      stopping ??= (async () => {
        await sweeper.stop();
        server.setServing(false);
        hub.close();
        await server.stop(5_000);
        await gate.drain();
        await producer.disconnect().catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
        await metrics.close();
        authClient?.close();
        subscriber.disconnect();
        await redis.quit().catch(() => undefined);
        await sequelize.close();
      })();
      return stopping;
    },
  };
}
