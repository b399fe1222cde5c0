import {
  createLogger,
  createRedis,
  createTokenVerifier,
  serviceCredentials,
  type Logger,
  type RunningPart,
  type TokenVerifier,
  type Tracing,
} from '@fcfs/kit';
import { startTracing } from '@fcfs/kit/tracing';
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
import { createGiftsCsv } from './transport/gifts-csv';
import { startServer } from './transport/server';
import { DEFAULT_WEB_DIR } from './transport/web-assets';
import { createApplyBatcher } from './upstream/apply';
import { createUpstream, type Upstream } from './upstream/clients';
import { readEventStats } from './upstream/event-stats';

export interface BffOverrides {
  logger?: Logger;
  redis?: Redis;
  /** Tracing instead of the configured one (tests: an in-memory exporter). */
  tracing?: Tracing;
}

export interface RunningBff extends RunningPart {
  readonly httpPort: number;
  /** http://host:port/graphql (also the WebSocket URL with ws://). */
  readonly url: string;
}

/**
 * Verifies session tokens locally with the auth service's public keys: fetched once, refetched for an
 * unknown key, and every `refreshMs`, when a removed key and the tokens it signed stop working.
 */
function tokenVerifier(upstream: Upstream, refreshMs: number): TokenVerifier {
  return createTokenVerifier({
    loadJwks: async () => {
      const res = await upstream.call(upstream.auth.getPublicKeys.bind(upstream.auth), {});
      return JSON.parse(res.jwksJson) as JSONWebKeySet;
    },
    maxAgeMs: refreshMs,
  });
}

/**
 * Whether the auth service's current configuration still makes a participant an admin (a token's role
 * claim lasts as long as the token): asked once per `recheckMs` per admin. Admin operations are few.
 */
function adminCheck(upstream: Upstream, recheckMs: number): (participantId: string) => Promise<boolean> {
  const answers = new Map<string, { admin: Promise<boolean>; at: number }>();
  return (participantId) => {
    const known = answers.get(participantId);
    if (known && Date.now() - known.at < recheckMs) return known.admin;
    const admin = upstream
      .call(upstream.auth.getParticipant.bind(upstream.auth), { participantId })
      .then((res) => res.participant?.isAdmin === true);
    // A failed answer is not kept: the next operation asks again.
    admin.catch(() => answers.delete(participantId));
    answers.set(participantId, { admin, at: Date.now() });
    return admin;
  };
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

/** Per-IP and per-participant limits, counted locally and merged into Redis (the cross-replica view). */
function rateLimiterOf(config: BffConfig, redis: Redis, logger: Logger) {
  return createRateLimiter({
    limits: config.rateLimit.perMinute,
    store: redisCounterStore(redis),
    keyPrefix: config.rateLimit.redisPrefix,
    syncIntervalMs: config.rateLimit.syncMs,
    logger,
  });
}

/**
 * Wires the BFF: gRPC clients (one channel per service), the token verifier, the apply
 * batcher, the watch hub, rate limits, Apollo on a raw `http` server and graphql-ws on the
 * same path. `stop()` drains in order: stop accepting, finish requests and close sockets,
 * flush the last applies, close streams, write the last rate-limit counts, disconnect.
 */
export async function startBff(config: BffConfig, overrides: BffOverrides = {}): Promise<RunningBff> {
  const logger = overrides.logger ?? createLogger('bff', config.logLevel);
  const upstream = createUpstream({
    authAddress: config.upstream.auth,
    eventAddress: config.upstream.event,
    issuerAddress: config.upstream.issuer,
    timeoutMs: config.upstream.timeoutMs,
    identity: serviceCredentials(config.serviceIdentity),
  });
  const tracing = overrides.tracing ?? startTracing({ serviceName: 'bff', edge: true, ...config.tracing });
  const ownRedis = overrides.redis === undefined;
  const redis = overrides.redis ?? createRedis(config.redis, logger);

  const verifier = tokenVerifier(upstream, config.sessions.jwksRefreshMs);
  const ready = readinessOf(upstream, redis);
  const applyBatcher = createApplyBatcher(upstream, config.applyBatch, tracing);
  const hub = createWatchHub({
    open: (eventId) => upstream.event.watchEvent({ eventId }),
    logger,
    onStreams: (n) => metrics.watchStreams.set(n),
  });
  const limiter = rateLimiterOf(config, redis, logger);
  const stats = createStatsFeed({
    read: async (eventId, token) => toEventStats(await readEventStats(upstream, eventId, token)),
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
      tracing,
    }),
  );
  const server = await startServer({
    schema,
    admitter: createAdmitter({
      verifier,
      limiter,
      logger,
      trustedProxyHops: config.http.trustedProxyHops,
      stillAdmin: adminCheck(upstream, config.sessions.adminRecheckMs),
    }),
    socketCaps: config.sockets,
    validationRules: [depthLimitRule(config.query.maxDepth), costLimitRule(config.query.maxCost)],
    production: config.nodeEnv === 'production',
    logger,
    host: config.http.host,
    port: config.http.port,
    acceptSockets: config.http.acceptSockets,
    maxBodyBytes: config.http.maxBodyBytes,
    readiness: ready,
    webDir: config.http.webDir ?? DEFAULT_WEB_DIR,
    routes: [createGiftsCsv({ upstream, verifier, logger })],
  });
  logger.info({ url: server.url }, 'BFF listening');

  let stopping: Promise<void> | undefined;
  return {
    name: 'bff',
    httpPort: server.httpPort,
    url: server.url,
    ready,
    stop() {
      stopping ??= (async () => {
        await server.stop();
        await applyBatcher.flush().catch(() => undefined);
        hub.close();
        stats.close();
        await limiter.stop();
        if (ownRedis) redis.disconnect();
        upstream.close();
        await tracing.shutdown();
      })();
      return stopping;
    },
  };
}
