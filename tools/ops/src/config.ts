import { defineConfig, fragment, kafka, loadConfig, mysql, redis, serviceIdentity, stock, upstreams } from '@fcfs/kit';
import { z } from 'zod';

const ops = fragment(
  {
    /**
     * The consumer group whose committed offsets on the dead-letter topic say what `dlq replay` has
     * already put back; it never has members, only offsets.
     */
    OPS_DLQ_GROUP: z.string().min(1).default('ops-dlq-replay'),
  },
  (e) => ({ dlqGroup: e.OPS_DLQ_GROUP }),
);

/** The operator commands' environment: the same variables, with the same defaults, as the services'. */
export const configSchema = defineConfig({
  mysql,
  redis,
  /** The topics (applications and their dead letters); the issuer group is not used. */
  kafka,
  stock,
  /** The issuer's gRPC address, for its Reconcile call. */
  upstream: upstreams('issuer'),
  /** How it signs that call (the `ops` caller: admin scope). */
  serviceIdentity: serviceIdentity('ops'),
  ops,
});

export type OpsConfig = z.infer<typeof configSchema>;

/** Throws (never exits) with every problem, each by variable, so the command can print it its own way. */
export function loadOpsConfig(environment: Record<string, string | undefined>): OpsConfig {
  return loadConfig(configSchema, environment, { exit: false });
}
