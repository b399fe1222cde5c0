import { env, infraEnv, loadConfig } from '@fcfs/kit';
import { z } from 'zod';

/** The BFF's environment, with working development defaults. */
export const configSchema = z.object({
  NODE_ENV: infraEnv.NODE_ENV,
  LOG_LEVEL: infraEnv.LOG_LEVEL,
  REDIS_URL: infraEnv.REDIS_URL,
  BFF_HOST: env.host(),
  BFF_PORT: env.port(4000),
  AUTH_ADDRESS: env.address('127.0.0.1:50051'),
  EVENT_ADDRESS: env.address('127.0.0.1:50052'),
  /** Prefix of the BFF's Redis keys (rate-limit windows); tests isolate themselves with it. */
  BFF_REDIS_PREFIX: z.string().default('bff:'),
  /** Requests per client IP per minute (every HTTP request and WebSocket connection); 0 turns it off. */
  BFF_RATE_LIMIT_IP_PER_MINUTE: env.nonNegativeInt(6_000),
  /** Operations per signed-in participant per minute; 0 turns it off. */
  BFF_RATE_LIMIT_PARTICIPANT_PER_MINUTE: env.nonNegativeInt(120),
  /** How often local rate-limit counters are merged into Redis (the cross-replica view). */
  BFF_RATE_LIMIT_SYNC_MS: env.positiveInt(200),
  /** Deadline of every upstream gRPC call. */
  BFF_UPSTREAM_TIMEOUT_MS: env.positiveInt(5_000),
  BFF_MAX_BODY_BYTES: env.positiveInt(64 * 1024),
  BFF_MAX_DEPTH: env.positiveInt(10),
  BFF_MAX_COST: env.positiveInt(1_000),
  /** Concurrent `apply` mutations are coalesced into one ApplyBatch call of at most this many items, */
  BFF_APPLY_BATCH_MAX: env.positiveInt(256),
  /** or of whatever arrived within this many milliseconds, whichever comes first. */
  BFF_APPLY_BATCH_WAIT_MS: env.nonNegativeInt(1),
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
  /** Use the first X-Forwarded-For address as the client IP (only behind a trusted proxy). */
  BFF_TRUST_PROXY: env.bool(false),
  /** The built web app served at `/` (default: the repository's web/dist). */
  BFF_WEB_DIR: z.string().min(1).optional(),
});

export type BffConfig = z.infer<typeof configSchema>;

export function loadServiceConfig(environment: Record<string, string | undefined> = process.env): BffConfig {
  return loadConfig(configSchema, environment);
}
