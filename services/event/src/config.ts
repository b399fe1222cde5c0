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
  stock,
  tracing,
  upstreams,
} from '@fcfs/kit';
import type { z } from 'zod';

const gate = fragment(
  {
    /** How long concurrent applies are gathered into one gate batch: one Lua call per event and one produce. */
    GATE_BATCH_WAIT_MS: env.nonNegativeInt(1),
    /** Applications per gate batch (an ApplyBatch request is never split). */
    GATE_BATCH_MAX: env.positiveInt(2_000),
    /** Applications waiting for the gate at most; beyond, UNAVAILABLE at once (a Kafka outage must not pile them up). */
    GATE_QUEUE_MAX: env.positiveInt(20_000),
    /**
     * How long a batch's produce is retried (the idempotent producer, same records) before it is answered
     * UNAVAILABLE, within its callers' deadline. Far below SWEEP_PENDING_AFTER_MS (see sweeper/rule.ts).
     */
    GATE_PRODUCE_TIMEOUT_MS: env.positiveInt(5_000),
    /**
     * After a produce attempt failed, applies are answered UNAVAILABLE at once for this long instead of queueing
     * (and while an attempt has been outstanding for longer than this); 0: never.
     */
    GATE_FAIL_FAST_MS: env.nonNegativeInt(1_000),
    /**
     * After a rebuild of an event's Redis state (lost, or gone back in time), its gate is held at least this long,
     * then until the issuer has consumed its partition to the end: positions still in Kafka are then in MySQL and
     * are never handed out again. Above GATE_PRODUCE_TIMEOUT_MS, so no produce begun before the hold lands after.
     */
    GATE_REBUILD_HOLD_MS: env.positiveInt(10_000),
  },
  (e) => ({
    batchWaitMs: e.GATE_BATCH_WAIT_MS,
    batchMax: e.GATE_BATCH_MAX,
    queueMax: e.GATE_QUEUE_MAX,
    produceTimeoutMs: e.GATE_PRODUCE_TIMEOUT_MS,
    failFastMs: e.GATE_FAIL_FAST_MS,
    holdMs: e.GATE_REBUILD_HOLD_MS,
  }),
);

const sweep = fragment(
  {
    /** How often PENDING applications whose record never reached Kafka are swept; 0: never. */
    SWEEP_INTERVAL_MS: env.nonNegativeInt(30_000),
    /**
     * A PENDING younger than this is never swept: far longer than any produce can take (see sweeper/rule.ts).
     * A produce's worst case (GATE_PRODUCE_TIMEOUT_MS, then one last attempt: two 10 s requests) is about 25 s;
     * two minutes leave room for clock skew.
     */
    SWEEP_PENDING_AFTER_MS: env.positiveInt(120_000),
  },
  (e) => ({ intervalMs: e.SWEEP_INTERVAL_MS, pendingAfterMs: e.SWEEP_PENDING_AFTER_MS }),
);

const waitingRoom = fragment(
  {
    /** How often each replica looks for a waiting room whose draw is due (issue #17): the draw's lateness at most. */
    WAITROOM_DRAW_INTERVAL_MS: env.positiveInt(100),
    /**
     * A drawer's Redis lease on one event's placement; another replica finishes a draw whose drawer died once it
     * lapsed. Far below SWEEP_PENDING_AFTER_MS, so placed entries get their records before any sweep.
     */
    WAITROOM_DRAW_LEASE_MS: env.positiveInt(5_000),
  },
  (e) => ({ intervalMs: e.WAITROOM_DRAW_INTERVAL_MS, leaseMs: e.WAITROOM_DRAW_LEASE_MS }),
);

/** The event service's environment, with working development defaults. */
export const configSchema = defineConfig({
  grpc: grpcServer('event'),
  metrics: metricsServer('event'),
  /** Who may call it, and how it signs its own calls (to auth, for the public keys). */
  serviceTrust,
  serviceIdentity: serviceIdentity('event'),
  redis,
  mysql,
  /** The applications topic it produces to, and the issuer's group for the lag in GetEventStats. */
  kafka,
  stock,
  /** The auth service, for the public keys that verify admin tokens. */
  upstream: upstreams('auth'),
  gate,
  sweep,
  waitingRoom,
  tracing,
});

export type EventConfig = z.infer<typeof configSchema>;

export function loadServiceConfig(environment: Record<string, string | undefined> = process.env): EventConfig {
  return loadConfig(configSchema, environment);
}
