import {
  callUnary,
  createGrpcClient,
  createGrpcServer,
  createServiceAuthenticator,
  serviceCredentials,
  trustedCallers,
  type AccessRules,
  createLogger,
  createRedis,
  createTokenVerifier,
  startMetricsServer,
  type Logger,
  type RunningService,
  type TokenVerifier,
  type Tracing,
} from '@fcfs/kit';
import { createKafka } from '@fcfs/kit/kafka';
import { startTracing } from '@fcfs/kit/tracing';
import { createSequelize } from '@fcfs/kit/mysql';
import { defineModels } from '@fcfs/db';
import { createWatermarks, defineStockScripts } from '@fcfs/stock';
import { AuthServiceClient, EventServiceService } from '@fcfs/proto';
import type { JSONWebKeySet } from 'jose';
import type { EventConfig } from './config';
import { createApplicationReader } from './events/applications';
import { createOffers } from './claims/offers';
import { createCatalog } from './events/catalog';
import { eventHandlers } from './grpc/handlers';
import { createGate } from './gate/gate';
import { createApplicationsProducer, type ApplicationsProducer } from './gate/producer';
import { createLagReader } from './stats/lag';
import { createPartitionOffsets } from './sweeper/offsets';
import { createSweeper } from './sweeper/sweeper';
import { createWatchHub } from './watch/hub';
import { createDrawStore } from './waitroom/draw-store';
import { createDrawer, type DrawerDeps } from './waitroom/drawer';

/**
 * What a test or an in-process launcher may replace. Everything that comes from the environment
 * (Redis and MySQL URLs, brokers, topic, the issuer's group for lag, the stock's Redis key prefix) is in the
 * config: build it with `loadServiceConfig({ ...process.env, REDIS_URL, KAFKA_APPLICATIONS_TOPIC, ... })`.
 */
export interface EventOverrides {
  logger?: Logger;
  /** Verifies admin tokens; default: a verifier over `loadJwks`. */
  verifier?: TokenVerifier;
  /** Fetches the JWKS; default: AuthService.GetPublicKeys at `config.upstream.auth`. */
  loadJwks?: () => Promise<JSONWebKeySet>;
  now?: () => number;
  /** Tracing instead of the configured one (tests: an in-memory exporter). */
  tracing?: Tracing;
  /** Wraps the applications producer (tests: a replica whose produces reach the broker late). */
  wrapProducer?: (producer: ApplicationsProducer) => ApplicationsProducer;
  /** Test hook of the waiting room's drawer (a crash between the draw and its placement). */
  afterDraw?: DrawerDeps['afterDraw'];
}

export type RunningEvent = RunningService;

/**
 * Applications, claims and declines are the BFF's, acting for a participant it signed in; admin RPCs, stats and the
 * decision stream (which carries gift codes) need the admin scope (admin RPCs also check the admin's
 * own token); the catalogue is for every part.
 */
const EVENT_ACCESS: AccessRules<typeof EventServiceService> = {
  createEvent: 'admin',
  setStock: 'admin',
  openEvent: 'admin',
  closeEvent: 'admin',
  listEvents: 'caller',
  getEvent: 'caller',
  apply: 'participant',
  applyBatch: 'participant',
  claimGift: 'participant',
  declineGift: 'participant',
  getApplication: 'participant',
  getEventStats: 'admin',
  watchEvent: 'admin',
};

export async function startEvent(config: EventConfig, overrides: EventOverrides = {}): Promise<RunningEvent> {
  const logger = overrides.logger ?? createLogger('event', config.logLevel);
  const now = overrides.now ?? Date.now;
  const prefix = config.stock.redisPrefix;

  const redis = createRedis(config.redis, logger);
  const subscriber = createRedis(config.redis, logger, { maxRetriesPerRequest: null });
  const sequelize = createSequelize(config.mysql.url, logger);
  const models = defineModels(sequelize);
  const scripts = defineStockScripts(redis);
  const kafka = createKafka({ clientId: 'event', brokers: config.kafka.brokers, ...config.kafka.connection }, logger);
  const made = createApplicationsProducer(kafka, config.kafka.applicationsTopic, logger);
  const producer = overrides.wrapProducer?.(made) ?? made;
  const admin = kafka.admin();

  let authClient: AuthServiceClient | undefined;
  const loadJwks =
    overrides.loadJwks ??
    (async () => {
      authClient ??= createGrpcClient(AuthServiceClient, config.upstream.auth, serviceCredentials(config.serviceIdentity));
      const { jwksJson } = await callUnary(authClient.getPublicKeys.bind(authClient), {});
      return JSON.parse(jwksJson) as JSONWebKeySet;
    });
  const verifier = overrides.verifier ?? createTokenVerifier({ loadJwks });

  await Promise.all([producer.connect(), admin.connect(), sequelize.authenticate()]);

  const rebuildDeps = { redis, scripts, sequelize, prefix };
  const catalog = createCatalog({ ...rebuildDeps, models, now });
  const offsets = createPartitionOffsets(admin, config.kafka.applicationsTopic, config.kafka.issuerGroup);
  const watermarks = createWatermarks(sequelize);
  const drawStore = createDrawStore(sequelize);
  const drawProducer = createApplicationsProducer(kafka, config.kafka.applicationsTopic, logger);
  const gate = createGate({ ...rebuildDeps, producer, logger, now, offsets, watermarks, drawStore, ...config.gate });
  const drawer = createDrawer({
    ...rebuildDeps,
    store: drawStore,
    producer: drawProducer,
    logger,
    now,
    ...config.waitingRoom,
    afterDraw: overrides.afterDraw,
  });
  const hub = createWatchHub(subscriber, prefix, logger);
  const lag = createLagReader(admin, config.kafka.applicationsTopic, config.kafka.issuerGroup);
  const sweeper = createSweeper({
    ...rebuildDeps,
    admin,
    topic: config.kafka.applicationsTopic,
    issuerGroup: config.kafka.issuerGroup,
    logger,
    now,
    graceMs: config.sweep.pendingAfterMs,
    intervalMs: config.sweep.intervalMs,
  });

  const tracing = overrides.tracing ?? startTracing({ serviceName: 'event', ...config.tracing });
  const authenticate = createServiceAuthenticator(trustedCallers(config.serviceTrust));
  const server = createGrpcServer({ ...config.grpc, logger, tracing, authenticate });
  server.add(
    'fcfs.v1.EventService',
    EventServiceService,
    eventHandlers({
      catalog,
      gate,
      hub,
      lag,
      redis,
      prefix,
      verifier,
      now,
      applications: createApplicationReader({ ...rebuildDeps, catalog, watermarks, now }),
      offers: createOffers({ redis, prefix, producer, now }),
    }),
    EVENT_ACCESS,
  );
  const grpcPort = await server.start();
  sweeper.start();
  drawer.start();
  const ready = async (): Promise<boolean> => (await redis.ping()) === 'PONG';
  const metrics = await startMetricsServer({ ...config.metrics, logger, readiness: ready });

  let stopping: Promise<void> | undefined;
  return {
    name: 'event',
    grpcPort,
    metricsPort: metrics.port,
    ready,
    stop() {
      stopping ??= (async () => {
        await sweeper.stop();
        await drawer.stop();
        server.setServing(false);
        hub.close();
        await server.stop(5_000);
        await gate.drain();
        await producer.disconnect().catch(() => undefined);
        await drawProducer.disconnect().catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
        await metrics.close();
        authClient?.close();
        subscriber.disconnect();
        await redis.quit().catch(() => undefined);
        await sequelize.close();
        await tracing.shutdown();
      })();
      return stopping;
    },
  };
}
