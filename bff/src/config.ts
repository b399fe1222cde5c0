import { defineConfig, env, fragment, loadConfig, redis, serviceIdentity, tracing, upstreams } from '@fcfs/kit';
import { z } from 'zod';

/** GraphQL over HTTP and WebSocket, /healthz, /readyz, /metrics. */
const http = fragment(
  {
    BFF_HOST: env.host(),
    BFF_PORT: env.port(4000),
    BFF_MAX_BODY_BYTES: env.positiveInt(64 * 1024),
    /** Use the first X-Forwarded-For address as the client IP (only behind a trusted proxy). */
    BFF_TRUST_PROXY: env.bool(false),
    /** The built web app served at `/` (default: the repository's web/dist). */
    BFF_WEB_DIR: z.string().min(1).optional(),
  },
  (e) => ({
    host: e.BFF_HOST,
    port: e.BFF_PORT,
    maxBodyBytes: e.BFF_MAX_BODY_BYTES,
    trustProxy: e.BFF_TRUST_PROXY,
    webDir: e.BFF_WEB_DIR,
  }),
);

const services = upstreams('auth', 'event', 'issuer');
const upstream = fragment(
  {
    ...services.shape,
    /** Deadline of every upstream gRPC call. */
    BFF_UPSTREAM_TIMEOUT_MS: env.positiveInt(5_000),
  },
  (e, context) => ({ ...services.read(e, context), timeoutMs: e.BFF_UPSTREAM_TIMEOUT_MS }),
);

const rateLimit = fragment(
  {
    /** Prefix of the BFF's Redis keys (rate-limit windows); tests isolate themselves with it. */
    BFF_REDIS_PREFIX: z.string().default('bff:'),
    /** Requests per client IP per minute (every HTTP request and WebSocket connection); 0 turns it off. */
    BFF_RATE_LIMIT_IP_PER_MINUTE: env.nonNegativeInt(6_000),
    /** Operations per signed-in participant per minute; 0 turns it off. */
    BFF_RATE_LIMIT_PARTICIPANT_PER_MINUTE: env.nonNegativeInt(120),
    /** How often local rate-limit counters are merged into Redis (the cross-replica view). */
    BFF_RATE_LIMIT_SYNC_MS: env.positiveInt(200),
  },
  (e) => ({
    redisPrefix: e.BFF_REDIS_PREFIX,
    perMinute: { ip: e.BFF_RATE_LIMIT_IP_PER_MINUTE, participant: e.BFF_RATE_LIMIT_PARTICIPANT_PER_MINUTE },
    syncMs: e.BFF_RATE_LIMIT_SYNC_MS,
  }),
);

const query = fragment({ BFF_MAX_DEPTH: env.positiveInt(10), BFF_MAX_COST: env.positiveInt(1_000) }, (e) => ({
  maxDepth: e.BFF_MAX_DEPTH,
  maxCost: e.BFF_MAX_COST,
}));

const applyBatch = fragment(
  {
    /** Concurrent `apply` mutations are coalesced into one ApplyBatch call of at most this many items, */
    BFF_APPLY_BATCH_MAX: env.positiveInt(256),
    /** or of whatever arrived within this many milliseconds, whichever comes first. */
    BFF_APPLY_BATCH_WAIT_MS: env.nonNegativeInt(1),
  },
  (e) => ({ maxItems: e.BFF_APPLY_BATCH_MAX, maxWaitMs: e.BFF_APPLY_BATCH_WAIT_MS }),
);

const status = fragment(
  {
    /** Minimum interval between two `ahead` updates to one subscriber. */
    BFF_STATUS_AHEAD_INTERVAL_MS: env.positiveInt(1_000),
    /** A PENDING subscriber re-reads its application this often, in case a decision was missed. */
    BFF_STATUS_RESYNC_MS: env.positiveInt(10_000),
    /**
     * A subscriber whose participant has not applied yet re-reads about this often (±20 %): the
     * fallback for an apply another BFF replica answered. Pages subscribe minutes before an event
     * opens; 10,000 of them re-reading every 10 s would be 1,000 reads a second through the herd.
     */
    BFF_STATUS_WAIT_RESYNC_MS: env.positiveInt(60_000),
    /** How often `eventStats` subscriptions poll the event service (shared per event). */
    BFF_STATS_INTERVAL_MS: env.positiveInt(250),
  },
  (e) => ({
    aheadIntervalMs: e.BFF_STATUS_AHEAD_INTERVAL_MS,
    resyncMs: e.BFF_STATUS_RESYNC_MS,
    waitResyncMs: e.BFF_STATUS_WAIT_RESYNC_MS,
    statsIntervalMs: e.BFF_STATS_INTERVAL_MS,
  }),
);

/** The BFF's environment, with working development defaults. */
export const configSchema = defineConfig({
  http,
  redis,
  upstream,
  /** How it signs its calls to auth, event and issuer (the only part that may act for a participant). */
  serviceIdentity: serviceIdentity('bff'),
  rateLimit,
  query,
  applyBatch,
  status,
  tracing,
});

export type BffConfig = z.infer<typeof configSchema>;

export function loadServiceConfig(environment: Record<string, string | undefined> = process.env): BffConfig {
  return loadConfig(configSchema, environment);
}
