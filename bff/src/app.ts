import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { createLogger, createRedis, createTokenVerifier, type Logger, type TokenVerifier } from '@fcfs/kit';
import type { ApplyRequest, ApplyResponse } from '@fcfs/proto';
import type { Redis } from 'ioredis';
import type { JSONWebKeySet } from 'jose';
import { createApollo } from './apollo';
import { createBatcher } from './batcher';
import type { BffConfig } from './config';
import { createHttpHandler } from './http';
import { costLimitRule, depthLimitRule } from './limits';
import * as metrics from './metrics';
import { createRateLimiter, redisCounterStore } from './rate-limit';
import { batchItem, createResolvers, readEventStats } from './resolvers';
import { buildExecutableSchema } from './schema';
import { createStatsFeed } from './stats-feed';
import { createUpstream } from './upstream';
import { createWatchHub } from './watch-hub';
import { DEFAULT_WEB_DIR, createWebAssets } from './web-assets';
import { startWebSocketServer } from './ws';

export interface BffOverrides {
  logger?: Logger;
  redis?: Redis;
}

export interface Bff {
  httpPort: number;
  /** http://host:port/graphql (also the WebSocket URL with ws://). */
  url: string;
  stop(): Promise<void>;
}

/**
 * Wires the BFF: gRPC clients (one channel per service), the token verifier, the apply
 * batcher, the watch hub, rate limits, Apollo on a raw `http` server and graphql-ws on the
 * same path. `stop()` drains in order: stop accepting, finish requests and close sockets,
 * flush the last applies, close streams, write the last rate-limit counts, disconnect.
 */
export async function startBff(config: BffConfig, overrides: BffOverrides = {}): Promise<Bff> {
  const logger = overrides.logger ?? createLogger('bff', config.LOG_LEVEL);
  const production = config.NODE_ENV === 'production';
  const upstream = createUpstream({
    authAddress: config.AUTH_ADDRESS,
    eventAddress: config.EVENT_ADDRESS,
    timeoutMs: config.BFF_UPSTREAM_TIMEOUT_MS,
  });
  const ownRedis = overrides.redis === undefined;
  const redis = overrides.redis ?? createRedis(config.REDIS_URL, logger);

  const verifier: TokenVerifier = createTokenVerifier({
    loadJwks: async () => {
      const res = await upstream.call(upstream.auth.getPublicKeys.bind(upstream.auth), {});
      return JSON.parse(res.jwksJson) as JSONWebKeySet;
    },
  });

  const applyBatcher = createBatcher<ApplyRequest, ApplyResponse>({
    maxItems: config.BFF_APPLY_BATCH_MAX,
    maxWaitMs: config.BFF_APPLY_BATCH_WAIT_MS,
    onBatch: (size) => metrics.applyBatchSize.observe(size),
    run: async (applications) => {
      const end = metrics.applyBatchSeconds.startTimer();
      try {
        const res = await upstream.call(upstream.event.applyBatch.bind(upstream.event), { applications });
        return applications.map((_, i) => batchItem(res.results[i]));
      } finally {
        end();
      }
    },
  });

  const hub = createWatchHub({
    open: (eventId) => upstream.event.watchEvent({ eventId }),
    logger,
    onStreams: (n) => metrics.watchStreams.set(n),
  });

  const limiter = createRateLimiter({
    limits: { ip: config.BFF_RATE_LIMIT_IP_PER_MINUTE, participant: config.BFF_RATE_LIMIT_PARTICIPANT_PER_MINUTE },
    store: redisCounterStore(redis),
    keyPrefix: config.BFF_REDIS_PREFIX,
    syncIntervalMs: config.BFF_RATE_LIMIT_SYNC_MS,
    logger,
  });

  const stats = createStatsFeed({
    read: (eventId, token) => readEventStats(upstream, eventId, token),
    intervalMs: config.BFF_STATS_INTERVAL_MS,
    logger,
  });

  const schema = buildExecutableSchema(
    createResolvers({
      upstream,
      applyBatcher,
      hub,
      stats,
      aheadIntervalMs: config.BFF_STATUS_AHEAD_INTERVAL_MS,
      resyncMs: config.BFF_STATUS_RESYNC_MS,
      waitResyncMs: config.BFF_STATUS_WAIT_RESYNC_MS,
      logger,
    }),
  );
  const validationRules = [depthLimitRule(config.BFF_MAX_DEPTH), costLimitRule(config.BFF_MAX_COST)];

  const readiness = async (): Promise<boolean> => {
    const redisUp = Promise.race([
      redis.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_000).unref()),
    ]);
    const checks = await Promise.all([upstream.healthy('auth'), upstream.healthy('event'), redisUp]);
    return checks.every(Boolean);
  };

  const httpServer = createServer({ keepAliveTimeout: 65_000, requestTimeout: 30_000 });
  const ws = startWebSocketServer({
    httpServer,
    schema,
    verifier,
    limiter,
    logger,
    validationRules,
    production,
    trustProxy: config.BFF_TRUST_PROXY,
    maxPayloadBytes: config.BFF_MAX_BODY_BYTES,
  });
  const apollo = createApollo({
    schema,
    production,
    validationRules,
    logger,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: 5_000 }),
      { serverWillStart: () => Promise.resolve({ drainServer: () => ws.dispose() }) },
    ],
  });
  await apollo.start();
  httpServer.on(
    'request',
    createHttpHandler({
      apollo,
      verifier,
      limiter,
      logger,
      maxBodyBytes: config.BFF_MAX_BODY_BYTES,
      trustProxy: config.BFF_TRUST_PROXY,
      readiness,
      webAssets: createWebAssets(config.BFF_WEB_DIR ?? DEFAULT_WEB_DIR),
    }),
  );
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    // The herd arrives at one second: a deep accept queue keeps it from being reset (capped by somaxconn).
    httpServer.listen({ port: config.BFF_PORT, host: config.BFF_HOST, backlog: 4_096 }, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const httpPort = (httpServer.address() as AddressInfo).port;
  const url = `http://${config.BFF_HOST.includes(':') ? `[${config.BFF_HOST}]` : config.BFF_HOST}:${httpPort}/graphql`;
  logger.info({ url }, 'BFF listening');

  let stopping: Promise<void> | undefined;
  return {
    httpPort,
    url,
    stop() {
      stopping ??= (async () => {
        // Apollo's drain: stop accepting, let requests finish, close WebSockets.
        await apollo.stop();
        await applyBatcher.flush().catch(() => undefined);
        hub.close();
        stats.close();
        await limiter.stop();
        if (ownRedis) redis.disconnect();
        upstream.close();
      })();
      return stopping;
    },
  };
}
