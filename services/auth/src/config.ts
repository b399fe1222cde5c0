import { resolve } from 'node:path';
import { env, infraEnv, loadConfig } from '@fcfs/kit';
import { z } from 'zod';
import { parsePrivateKeys, type SigningKey } from './keys';

/** Where a development machine keeps its generated signing key, shared by every local process. */
export const DEFAULT_DEV_KEY_FILE = resolve(__dirname, '../../..', '.infra/auth-dev-key.json');
/** Fixed only so development restarts keep pending codes valid; production must set its own. */
const DEV_CODE_SECRET = 'fcfs-development-code-secret-not-for-production';
const DEV_ADMIN_EMAILS = 'admin@fcfs.local';
const DEV_SES_ENDPOINT = 'http://127.0.0.1:8005';

const optionalString = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === '' ? undefined : s.trim()));

/** The auth service's environment. Every limit is here so a load test can raise it. */
export const configSchema = z
  .object({
    ...infraEnv,
    GRPC_HOST: env.host('0.0.0.0'),
    GRPC_PORT: env.port(50051),
    METRICS_PORT: env.port(9101),

    AUTH_REDIS_PREFIX: z.string().min(1).max(64).default('auth:'),
    AUTH_CODE_SECRET: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
    AUTH_CODE_TTL_SECONDS: env.positiveInt(300),
    AUTH_CODE_MAX_ATTEMPTS: env.positiveInt(5),
    AUTH_SEND_COOLDOWN_SECONDS: env.nonNegativeInt(60),
    AUTH_SEND_PER_ADDRESS_MAX: env.positiveInt(5),
    AUTH_SEND_PER_ADDRESS_WINDOW_SECONDS: env.positiveInt(3600),
    AUTH_SEND_PER_IP_MAX: env.positiveInt(50),
    AUTH_SEND_PER_IP_WINDOW_SECONDS: env.positiveInt(3600),

    AUTH_TOKEN_TTL_SECONDS: env.positiveInt(7200),
    AUTH_JWT_PRIVATE_KEYS: optionalString,
    AUTH_JWT_KID: optionalString,
    AUTH_DEV_KEY_FILE: z.string().min(1).default(DEFAULT_DEV_KEY_FILE),
    AUTH_ADMIN_EMAILS: z.string().optional(),

    SES_ENDPOINT: optionalString.pipe(z.string().url().optional()),
    SES_REGION: z.string().min(1).default('eu-west-1'),
    SES_FROM: z.string().min(3).default('no-reply@fcfs.local'),
    AWS_ACCESS_KEY_ID: optionalString,
    AWS_SECRET_ACCESS_KEY: optionalString,
  })
  .transform((e, ctx) => {
    const production = e.NODE_ENV === 'production';
    let signingKeys: SigningKey[] | undefined;
    if (e.AUTH_JWT_PRIVATE_KEYS !== undefined) {
      try {
        signingKeys = parsePrivateKeys(e.AUTH_JWT_PRIVATE_KEYS, e.AUTH_JWT_KID);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['AUTH_JWT_PRIVATE_KEYS'], message: (err as Error).message });
      }
    } else if (production) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_JWT_PRIVATE_KEYS'],
        message: 'required in production (a JSON array of private JWKs with kid, or a PEM with AUTH_JWT_KID)',
      });
    }
    if (production && e.AUTH_CODE_SECRET === undefined) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_CODE_SECRET'], message: 'required in production (at least 16 characters)' });
    }
    return {
      nodeEnv: e.NODE_ENV,
      logLevel: e.LOG_LEVEL,
      redisUrl: e.REDIS_URL,
      mysqlUrl: e.MYSQL_URL,
      grpc: { host: e.GRPC_HOST, port: e.GRPC_PORT },
      metrics: { host: e.GRPC_HOST, port: e.METRICS_PORT },
      codes: {
        redisPrefix: e.AUTH_REDIS_PREFIX,
        secret: e.AUTH_CODE_SECRET ?? DEV_CODE_SECRET,
        ttlSeconds: e.AUTH_CODE_TTL_SECONDS,
        maxAttempts: e.AUTH_CODE_MAX_ATTEMPTS,
      },
      throttle: {
        cooldownSeconds: e.AUTH_SEND_COOLDOWN_SECONDS,
        perAddress: { max: e.AUTH_SEND_PER_ADDRESS_MAX, windowSeconds: e.AUTH_SEND_PER_ADDRESS_WINDOW_SECONDS },
        perIp: { max: e.AUTH_SEND_PER_IP_MAX, windowSeconds: e.AUTH_SEND_PER_IP_WINDOW_SECONDS },
      },
      tokens: {
        ttlSeconds: e.AUTH_TOKEN_TTL_SECONDS,
        /** Undefined: a generated development key kept in `devKeyFile` (never in production). */
        signingKeys,
        devKeyFile: e.AUTH_DEV_KEY_FILE,
      },
      adminEmails: parseAdminEmails(e.AUTH_ADMIN_EMAILS ?? (production ? '' : DEV_ADMIN_EMAILS)),
      ses: sesSettings(e, production),
    };
  });

export type AuthConfig = z.infer<typeof configSchema>;

interface SesEnv {
  SES_ENDPOINT?: string | undefined;
  SES_REGION: string;
  SES_FROM: string;
  AWS_ACCESS_KEY_ID?: string | undefined;
  AWS_SECRET_ACCESS_KEY?: string | undefined;
}

/** Production uses the SDK's credential chain; the local emulator takes any credentials, so development gets dummies. */
function sesSettings(e: SesEnv, production: boolean) {
  const endpoint = e.SES_ENDPOINT ?? (production ? undefined : DEV_SES_ENDPOINT);
  const dummy = !production && endpoint !== undefined && e.AWS_ACCESS_KEY_ID === undefined;
  return {
    endpoint,
    region: e.SES_REGION,
    from: e.SES_FROM,
    accessKeyId: dummy ? 'local' : e.AWS_ACCESS_KEY_ID,
    secretAccessKey: dummy ? 'local' : e.AWS_SECRET_ACCESS_KEY,
  };
}

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
