import { env, type SesSettings } from '@fcfs/kit';
import { z } from 'zod';

const EMULATOR = 'http://127.0.0.1:8005';

/**
 * The notifier's part of the issuer's environment, as a zod shape the issuer's `configSchema` spreads.
 * An unset `SES_ENDPOINT` is resolved by `defaultSesEndpoint`: the local emulator outside production,
 * AWS SES itself in production (as the auth service does); an empty string always means AWS.
 */
export const notifierConfigSchema = {
  /** E-mails per second, per replica: with N replicas the account sees up to N times this. */
  NOTIFIER_SEND_RATE: z.coerce.number().positive().default(14),
  /** SES calls in flight at once (also the most rows one replica holds claimed). */
  NOTIFIER_CONCURRENCY: env.positiveInt(16),
  /** Tries per e-mail before it ends FAILED (transient errors only; permanent ones fail at once). */
  NOTIFIER_MAX_ATTEMPTS: env.positiveInt(10),
  /** How long an idle notifier waits before looking at the outbox again (`wake()` cuts it short). */
  NOTIFIER_POLL_MS: env.positiveInt(250),
  /** A claim's lifetime: after a crash, another replica sends the row once this has passed. */
  NOTIFIER_LEASE_MS: env.positiveInt(30_000),
  /** First retry delay; doubles per attempt (with jitter) up to NOTIFIER_RETRY_MAX_MS. */
  NOTIFIER_RETRY_BASE_MS: env.positiveInt(1_000),
  NOTIFIER_RETRY_MAX_MS: env.positiveInt(300_000),
  /**
   * Result e-mails yield to the line: while the issuer committed decisions within this many ms, the
   * notifier claims nothing new (sends already claimed finish). 0: never yield.
   */
  NOTIFIER_QUIET_MS: env.nonNegativeInt(500),
  /** The floor while the line stays busy, so e-mails are never starved: at least this many claimed a second. */
  NOTIFIER_MIN_RATE_WHILE_BUSY: z.coerce.number().positive().default(2),
  SES_ENDPOINT: z
    .string()
    .refine((s) => s === '' || URL.canParse(s), 'expected a URL, or empty for AWS SES itself')
    .optional(),
  SES_REGION: z.string().min(1).default('eu-west-1'),
  SES_FROM: z.string().email().default('no-reply@fcfs.local'),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
};

export type NotifierConfig = z.infer<z.ZodObject<typeof notifierConfigSchema>>;

/** The endpoint when none is configured: never the emulator in production. */
export function defaultSesEndpoint(nodeEnv: string): string {
  return nodeEnv === 'production' ? '' : EMULATOR;
}

/** Settings for kit's `createSes`; the emulator accepts any credentials, so it gets dummy ones. */
export function sesSettings(config: NotifierConfig): SesSettings {
  const endpoint = config.SES_ENDPOINT || undefined;
  const dummy = endpoint ? 'local' : undefined;
  return {
    endpoint,
    region: config.SES_REGION,
    accessKeyId: config.AWS_ACCESS_KEY_ID ?? dummy,
    secretAccessKey: config.AWS_SECRET_ACCESS_KEY ?? dummy,
  };
}
