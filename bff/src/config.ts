import { defineConfig, env, fragment, loadConfig, redis, serviceIdentity, tracing, upstreams } from '@fcfs/kit';
import { z } from 'zod';

/** GraphQL over HTTP and WebSocket, /healthz, /readyz, /metrics. */
const http = fragment(
  {
    BFF_HOST: env.host(),
    BFF_PORT: env.port(4000),
    BFF_MAX_BODY_BYTES: env.positiveInt(64 * 1024),
    /**
     * How many proxies in front of the BFF append to X-Forwarded-For: the client is that many entries from
     * the right (0: the socket's peer). Entries left of it are the client's own and never believed.
     */
    BFF_TRUSTED_PROXY_HOPS: env.nonNegativeInt(0),
    /**
     * Listening sockets on the port (SO_REUSEPORT, Linux): Node accepts one connection per socket per event-loop
     * turn, so a herd of new connections is accepted this many at a time (transport/listen.ts). 1 elsewhere.
     */
    BFF_ACCEPT_SOCKETS: env.positiveInt(process.platform === 'linux' ? 8 : 1),
    /** The built web app served at `/` (default: the repository's web/dist). */
    BFF_WEB_DIR: z.string().min(1).optional(),
  },
  (e) => ({
    host: e.BFF_HOST,
    port: e.BFF_PORT,
    acceptSockets: e.BFF_ACCEPT_SOCKETS,
    maxBodyBytes: e.BFF_MAX_BODY_BYTES,
    trustedProxyHops: e.BFF_TRUSTED_PROXY_HOPS,
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
    /**
     * Requests per client address (IPv6: per /64) per minute: every HTTP request, WebSocket connection and
     * operation, each root field beyond an operation's first counting once more. Sized for a carrier NAT
     * (hundreds of people behind one address); 0 turns it off.
     */
    BFF_RATE_LIMIT_IP_PER_MINUTE: env.nonNegativeInt(6_000),
    /** Root fields per signed-in participant per minute, over HTTP and WebSocket alike; 0 turns it off. */
    BFF_RATE_LIMIT_PARTICIPANT_PER_MINUTE: env.nonNegativeInt(120),
    /** Requests per minute over every client together (what the services behind are sized for); 0 turns it off. */
    BFF_RATE_LIMIT_GLOBAL_PER_MINUTE: env.nonNegativeInt(1_200_000),
    /** How often local rate-limit counters are merged into Redis (the cross-replica view). */
    BFF_RATE_LIMIT_SYNC_MS: env.positiveInt(200),
  },
  (e) => ({
    redisPrefix: e.BFF_REDIS_PREFIX,
    perMinute: {
      ip: e.BFF_RATE_LIMIT_IP_PER_MINUTE,
      participant: e.BFF_RATE_LIMIT_PARTICIPANT_PER_MINUTE,
      global: e.BFF_RATE_LIMIT_GLOBAL_PER_MINUTE,
    },
    syncMs: e.BFF_RATE_LIMIT_SYNC_MS,
  }),
);

/** What one client may hold open over WebSocket at once; 0 turns a cap off. */
const sockets = fragment(
  {
    /** Open sockets per client address (a carrier NAT's many people included). */
    BFF_WS_MAX_SOCKETS_PER_ADDRESS: env.nonNegativeInt(1_000),
    /** Open sockets per signed-in participant (its token in connection_init). */
    BFF_WS_MAX_SOCKETS_PER_PARTICIPANT: env.nonNegativeInt(10),
    /** Operations open at once on one socket (subscriptions, and queries and mutations in flight). */
    BFF_WS_MAX_SUBSCRIPTIONS_PER_SOCKET: env.nonNegativeInt(20),
  },
  (e) => ({
    perAddress: e.BFF_WS_MAX_SOCKETS_PER_ADDRESS,
    perParticipant: e.BFF_WS_MAX_SOCKETS_PER_PARTICIPANT,
    subscriptionsPerSocket: e.BFF_WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
  }),
);

/** The session keys and roles, re-read from the auth service so a removed key or admin stops working. */
const sessions = fragment(
  {
    /** How often the auth service's public keys are fetched again; a removed key is refused after at most this. */
    BFF_JWKS_REFRESH_MS: env.positiveInt(60_000),
    /** How long the auth service's answer "this participant is an admin" is believed before it is asked again. */
    BFF_ADMIN_RECHECK_MS: env.positiveInt(60_000),
  },
  (e) => ({ jwksRefreshMs: e.BFF_JWKS_REFRESH_MS, adminRecheckMs: e.BFF_ADMIN_RECHECK_MS }),
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
  sockets,
  sessions,
  query,
  applyBatch,
  status,
  tracing,
});

export type BffConfig = z.infer<typeof configSchema>;

export function loadServiceConfig(environment: Record<string, string | undefined> = process.env): BffConfig {
  return loadConfig(configSchema, environment);
}
