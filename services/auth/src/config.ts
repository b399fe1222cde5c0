import { resolve } from 'node:path';
import { defineConfig, env, fragment, grpcServer, loadConfig, metricsServer, mysql, redis, serviceTrust, ses } from '@fcfs/kit';
import { z } from 'zod';
import { parsePrivateKeys, type SigningKey } from './keys';

/** Where a development machine keeps its generated signing key, shared by every local process. */
export const DEFAULT_DEV_KEY_FILE = resolve(__dirname, '../../..', '.infra/auth-dev-key.json');
/** Fixed only so development restarts keep pending codes valid; production must set its own. */
const DEV_CODE_SECRET = 'fcfs-development-code-secret-not-for-production';
const DEV_ADMIN_EMAILS = 'admin@fcfs.local';

const codes = fragment(
  {
    AUTH_REDIS_PREFIX: z.string().min(1).max(64).default('auth:'),
    AUTH_CODE_SECRET: env.optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
    AUTH_CODE_TTL_SECONDS: env.positiveInt(300),
    AUTH_CODE_MAX_ATTEMPTS: env.positiveInt(5),
  },
  (e, { production, problem }) => {
    if (production && e.AUTH_CODE_SECRET === undefined)
      problem('AUTH_CODE_SECRET', 'required in production (at least 16 characters)');
    return {
      redisPrefix: e.AUTH_REDIS_PREFIX,
      secret: e.AUTH_CODE_SECRET ?? DEV_CODE_SECRET,
      ttlSeconds: e.AUTH_CODE_TTL_SECONDS,
      maxAttempts: e.AUTH_CODE_MAX_ATTEMPTS,
    };
  },
);

/** Every limit is here so a load test can raise it. */
const throttle = fragment(
  {
    /** Between two sends to one address asked for by one client. */
    AUTH_SEND_COOLDOWN_SECONDS: env.nonNegativeInt(60),
    /** Sends to one address asked for by one client per window: someone else's requests never spend the owner's. */
    AUTH_SEND_PER_ADDRESS_MAX: env.positiveInt(5),
    /** Sends to one address from every client together per window: what its inbox receives at most. */
    AUTH_SEND_PER_ADDRESS_TOTAL_MAX: env.positiveInt(20),
    AUTH_SEND_PER_ADDRESS_WINDOW_SECONDS: env.positiveInt(3600),
    AUTH_SEND_PER_IP_MAX: env.positiveInt(50),
    AUTH_SEND_PER_IP_WINDOW_SECONDS: env.positiveInt(3600),
    /**
     * How long one code send may take, retries after a reset or a timeout and waiting for the shared SES
     * send budget included; within the BFF's deadline (BFF_UPSTREAM_TIMEOUT_MS, 5000), which also bounds it.
     */
    AUTH_SEND_TIMEOUT_MS: env.positiveInt(4_000),
    /**
     * Failed verifications per client address per window (a wrong, expired or used code): sized for a carrier
     * NAT's many people mistyping, far below what guessing needs (a code has a million values).
     */
    AUTH_VERIFY_FAILURES_PER_IP_MAX: env.positiveInt(100),
    /** Failed verifications over every client together per window: the ceiling for guesses spread over many addresses. */
    AUTH_VERIFY_FAILURES_GLOBAL_MAX: env.positiveInt(50_000),
    AUTH_VERIFY_FAILURES_WINDOW_SECONDS: env.positiveInt(900),
  },
  (e) => ({
    cooldownSeconds: e.AUTH_SEND_COOLDOWN_SECONDS,
    perAddress: {
      max: e.AUTH_SEND_PER_ADDRESS_MAX,
      totalMax: e.AUTH_SEND_PER_ADDRESS_TOTAL_MAX,
      windowSeconds: e.AUTH_SEND_PER_ADDRESS_WINDOW_SECONDS,
    },
    perIp: { max: e.AUTH_SEND_PER_IP_MAX, windowSeconds: e.AUTH_SEND_PER_IP_WINDOW_SECONDS },
    verifyFailures: {
      perClient: e.AUTH_VERIFY_FAILURES_PER_IP_MAX,
      global: e.AUTH_VERIFY_FAILURES_GLOBAL_MAX,
      windowSeconds: e.AUTH_VERIFY_FAILURES_WINDOW_SECONDS,
    },
    sendTimeoutMs: e.AUTH_SEND_TIMEOUT_MS,
  }),
);

const tokens = fragment(
  {
    AUTH_TOKEN_TTL_SECONDS: env.positiveInt(7200),
    AUTH_JWT_PRIVATE_KEYS: env.optionalString,
    AUTH_JWT_KID: env.optionalString,
    AUTH_DEV_KEY_FILE: z.string().min(1).default(DEFAULT_DEV_KEY_FILE),
  },
  (e, { production, problem }) => {
    let signingKeys: SigningKey[] | undefined;
    if (e.AUTH_JWT_PRIVATE_KEYS !== undefined) {
      try {
        signingKeys = parsePrivateKeys(e.AUTH_JWT_PRIVATE_KEYS, e.AUTH_JWT_KID);
      } catch (err) {
        problem('AUTH_JWT_PRIVATE_KEYS', (err as Error).message);
      }
    } else if (production) {
      problem(
        'AUTH_JWT_PRIVATE_KEYS',
        'required in production (a JSON array of private JWKs with kid, or a PEM with AUTH_JWT_KID)',
      );
    }
    return {
      ttlSeconds: e.AUTH_TOKEN_TTL_SECONDS,
      /** Undefined: a generated development key kept in `devKeyFile` (never in production). */
      signingKeys,
      devKeyFile: e.AUTH_DEV_KEY_FILE,
    };
  },
);

const adminEmails = fragment({ AUTH_ADMIN_EMAILS: z.string().optional() }, (e, { production }) =>
  parseAdminEmails(e.AUTH_ADMIN_EMAILS ?? (production ? '' : DEV_ADMIN_EMAILS)),
);

/** The auth service's environment. */
export const configSchema = defineConfig({
  grpc: grpcServer('auth'),
  metrics: metricsServer('auth'),
  /** Who may call it: internal calls carry a service token (see the kit's service-tokens.ts). */
  serviceTrust,
  redis,
  mysql,
  ses,
  codes,
  throttle,
  tokens,
  adminEmails,
});

export type AuthConfig = z.infer<typeof configSchema>;

function parseAdminEmails(list: string): ReadonlySet<string> {
  return new Set(
    list
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
}

export function loadServiceConfig(environment: Record<string, string | undefined> = process.env): AuthConfig {
  return loadConfig(configSchema, environment);
}
