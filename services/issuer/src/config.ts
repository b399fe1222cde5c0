import {
  defineConfig,
  env,
  fragment,
  grpcServer,
  kafka,
  loadConfig,
  metricsServer,
  mysql,
  redis,
  serviceIdentity,
  serviceTrust,
  ses,
  stock,
  tracing,
  upstreams,
} from '@fcfs/kit';
import type { z } from 'zod';
import { notifierSettings } from './notifier/config';

const decisions = fragment(
  {
    /** Applications decided by one Lua call and written by one MySQL transaction. */
    ISSUER_CHUNK_SIZE: env.positiveInt(1_000),
    /** Partitions (so events) decided at the same time. */
    ISSUER_PARTITIONS_CONCURRENTLY: env.positiveInt(3),
    /**
     * The consumer group session: how long a dead issuer's partitions wait before the group hands them to
     * another replica (failover), and the heartbeat. The broker's `group.min.session.timeout.ms` must allow it
     * (Kafka's default minimum is 6 s); below it, the broker's minimum is used, with a warning. Claim deadlines
     * fire on time across an issuer's death only when this is shorter than the claim window.
     */
    ISSUER_SESSION_TIMEOUT_MS: env.positiveInt(3_000),
    ISSUER_HEARTBEAT_INTERVAL_MS: env.positiveInt(1_000),
  },
  (e) => ({
    chunkSize: e.ISSUER_CHUNK_SIZE,
    partitionsConcurrently: e.ISSUER_PARTITIONS_CONCURRENTLY,
    sessionTimeoutMs: e.ISSUER_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: e.ISSUER_HEARTBEAT_INTERVAL_MS,
  }),
);

/** The issuer's environment, with working development defaults. */
export const configSchema = defineConfig({
  grpc: grpcServer('issuer'),
  metrics: metricsServer('issuer'),
  /** Who may call it, and how it signs its own calls (to auth, for the public keys). */
  serviceTrust,
  serviceIdentity: serviceIdentity('issuer'),
  redis,
  mysql,
  /** The applications it consumes (as the issuer group), and their dead letters. */
  kafka,
  stock,
  /** The auth service, for the public keys that verify admin tokens (RedeemGift). */
  upstream: upstreams('auth'),
  decisions,
  /** Result e-mails, sent through `ses`. */
  notifier: notifierSettings,
  tracing,
  ses,
});

export type IssuerConfig = z.infer<typeof configSchema>;

export function loadServiceConfig(environment: Record<string, string | undefined> = process.env): IssuerConfig {
  return loadConfig(configSchema, environment);
}
