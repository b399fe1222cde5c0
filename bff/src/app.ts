import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { createLogger, createRedis, createTokenVerifier, type Logger, type RunningPart, type TokenVerifier } from '@fcfs/kit';
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
import { startWebSocketServer } from './ws';

export interface BffOverrides {
  logger?: Logger;
  redis?: Redis;
}

export interface RunningBff extends RunningPart {
  readonly httpPort: number;
  /** http://host:port/graphql (also the WebSocket URL with ws://). */
  readonly url: string;
}

/**
 * Wires the BFF: gRPC clients (one channel per service), the token verifier, the apply
 * batcher, the watch hub, rate limits, Apollo on a raw `http` server and graphql-ws on the
 * same path. `stop()` drains in order: stop accepting, finish requests and close sockets,
 * flush the last applies, close streams, write the last rate-limit counts, disconnect.
 */
export async function startBff(config: BffConfig, overrides: BffOverrides = {}): Promise<RunningBff> {
  const logger = overrides.logger ?? createLogger('bff', config.logLevel);
  const production = config.nodeEnv === 'production';
  const upstream = createUpstream({
    authAddress: config.upstream.auth,
    eventAddress: config.upstream.event,
    timeoutMs: config.upstream.timeoutMs,
  });
  const ownRedis = overrides.redis === undefined;
  const redis = overrides.redis ?? createRedis(config.redis.url, logger);

  const verifier: TokenVerifier = createTokenVerifier({
    loadJwks: async () => {
      const res = await upstream.call(upstream.auth.getPublicKeys.bind(upstream.auth), {});
      return JSON.parse(res.jwksJson) as JSONWebKeySet;
    },
  });

  const applyBatcher = createBatcher<ApplyRequest, ApplyResponse>({
    ...config.applyBatch,
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
    limits: config.rateLimit.perMinute,
    store: redisCounterStore(redis),
    keyPrefix: config.rateLimit.redisPrefix,
    syncIntervalMs: config.rateLimit.syncMs,
    logger,
  });

  const stats = createStatsFeed({
    read: (eventId, token) => readEventStats(upstream, eventId, token),
    intervalMs: config.status.statsIntervalMs,
    logger,
  });

  const schema = buildExecutableSchema(
    createResolvers({
      upstream,
      applyBatcher,
      hub,
      stats,
      aheadIntervalMs: config.status.aheadIntervalMs,
      resyncMs: config.status.resyncMs,
      waitResyncMs: config.status.waitResyncMs,
      logger,
    }),
  );
  const validationRules = [depthLimitRule(config.query.maxDepth), costLimitRule(config.query.maxCost)];

  const ready = async (): Promise<boolean> => {
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
    trustProxy: config.http.trustProxy,
    maxPayloadBytes: config.http.maxBodyBytes,
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
      maxBodyBytes: config.http.maxBodyBytes,
      trustProxy: config.http.trustProxy,
      readiness: ready,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    // The herd arrives at one second: a deep accept queue keeps it from being reset (capped by somaxconn).
    httpServer.listen({ port: config.http.port, host: config.http.host, backlog: 4_096 }, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const httpPort = (httpServer.address() as AddressInfo).port;
  const { host } = config.http;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${httpPort}/graphql`;
  logger.info({ url }, 'BFF listening');

  let stopping: Promise<void> | undefined;
  return {
    name: 'bff',
    httpPort,
    url,
    ready,
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
