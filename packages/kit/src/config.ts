import { z } from 'zod';

/**
 * Parses the environment once against a zod schema. On any problem it prints every
 * issue (not just the first) and exits non-zero: a service never starts half-configured.
 * Nothing else in the codebase reads `process.env`.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
  { exit = true }: { exit?: boolean } = {},
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(environment)';
    return `  ${key}: ${issue.message}`;
  });
  const message = `invalid configuration:\n${lines.join('\n')}`;
  if (!exit) throw new Error(message);
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** Building blocks for each service's config schema, with working development defaults. */
export const env = {
  nodeEnv: z.enum(['development', 'test', 'production']).default('development'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  host: (fallback = '127.0.0.1') => z.string().min(1).default(fallback),
  url: (fallback: string) => z.string().url().default(fallback),
  /** `host:port` of another gRPC service. */
  address: (fallback: string) =>
    z
      .string()
      .regex(/^[^\s:]+:\d+$/, 'expected host:port')
      .default(fallback),
  brokers: (fallback = '127.0.0.1:9092') =>
    z
      .string()
      .default(fallback)
      .transform((s) =>
        s
          .split(',')
          .map((b) => b.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1)),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  nonNegativeInt: (fallback: number) => z.coerce.number().int().min(0).default(fallback),
  list: (fallback = '') =>
    z
      .string()
      .default(fallback)
      .transform((s) =>
        s
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      ),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
};

/** The infrastructure every service shares; each service's schema extends it. */
export const infraEnv = {
  NODE_ENV: env.nodeEnv,
  LOG_LEVEL: env.logLevel,
  REDIS_URL: env.url('redis://127.0.0.1:6379'),
  MYSQL_URL: env.url('mysql://root@127.0.0.1:3306/fcfs'),
  KAFKA_BROKERS: env.brokers(),
  KAFKA_APPLICATIONS_TOPIC: z.string().min(1).default('applications'),
  KAFKA_DLQ_TOPIC: z.string().min(1).default('applications.dlq'),
  METRICS_PORT: env.port(0),
};
