import { createLogger, createRedis, createTokenVerifier, type Logger, type TokenVerifier } from '@fcfs/kit';
import type { Redis } from 'ioredis';
import type { JSONWebKeySet } from 'jose';
import type { BffConfig } from './config';
import { toEventStats } from './graphql/mappers';
import { costLimitRule, depthLimitRule } from './graphql/limits';
import { createResolvers } from './graphql/resolvers';
import { buildExecutableSchema } from './graphql/schema';
import { createStatsFeed } from './live/stats-feed';
import { createWatchHub } from './live/watch-hub';
import * as metrics from './metrics';
import { createAdmitter } from './transport/admission';
import { createRateLimiter, redisCounterStore } from './transport/rate-limit';
import { startServer } from './transport/server';
import { createApplyBatcher } from './upstream/apply';
import { createUpstream, type Upstream } from './upstream/clients';
import { readEventStats } from './upstream/event-stats';

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

/** Verifies session tokens locally with the auth service's public keys (fetched once, refetched for an unknown key). */
function tokenVerifier(upstream: Upstream): TokenVerifier {
  return createTokenVerifier({
    loadJwks: async () => {
      const res = await upstream.call(upstream.auth.getPublicKeys.bind(upstream.auth), {});
      return JSON.parse(res.jwksJson) as JSONWebKeySet;
    },
  });
}

/** Ready when auth and event answer their health check and Redis answers PING (within a second). */
function readinessOf(upstream: Upstream, redis: Redis): () => Promise<boolean> {
  return async () => {
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
}

/**
 * Wires the BFF: gRPC clients (one channel per service), the token verifier, the apply
 * batcher, the watch hub, rate limits, Apollo on a raw `http` server and graphql-ws on the
 * same path. `stop()` drains in order: stop accepting, finish requests and close sockets,
 * flush the last applies, close streams, write the last rate-limit counts, disconnect.
 */
export async function startBff(config: BffConfig, overrides: BffOverrides = {}): Promise<Bff> {
  const logger = overrides.logger ?? createLogger('bff', config.LOG_LEVEL);
  const upstream = createUpstream({
    authAddress: config.AUTH_ADDRESS,
    eventAddress: config.EVENT_ADDRESS,
    issuerAddress: config.ISSUER_ADDRESS,
    timeoutMs: config.BFF_UPSTREAM_TIMEOUT_MS,
  });
  const ownRedis = overrides.redis === undefined;
  const redis = overrides.redis ?? createRedis(config.REDIS_URL, logger);

  const verifier = tokenVerifier(upstream);
  const applyBatcher = createApplyBatcher(upstream, {
    maxItems: config.BFF_APPLY_BATCH_MAX,
    maxWaitMs: config.BFF_APPLY_BATCH_WAIT_MS,
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
    read: async (eventId, token) => toEventStats(await readEventStats(upstream, eventId, token)),
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
  const server = await startServer({
    schema,
    admitter: createAdmitter({ verifier, limiter, logger, trustProxy: config.BFF_TRUST_PROXY }),
    validationRules: [depthLimitRule(config.BFF_MAX_DEPTH), costLimitRule(config.BFF_MAX_COST)],
    production: config.NODE_ENV === 'production',
    logger,
    host: config.BFF_HOST,
    port: config.BFF_PORT,
    maxBodyBytes: config.BFF_MAX_BODY_BYTES,
    readiness: readinessOf(upstream, redis),
  });
  logger.info({ url: server.url }, 'BFF listening');

  let stopping: Promise<void> | undefined;
  return {
    httpPort: server.httpPort,
    url: server.url,
    stop() {
      stopping ??= (async () => {
        await server.stop();
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
