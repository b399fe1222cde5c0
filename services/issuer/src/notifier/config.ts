import { defineConfig, env, fragment, ses } from '@fcfs/kit';
import { z } from 'zod';

/**
 * The notifier's own variables; SES (endpoint, region, sender, keys, the account's send rate) is the kit's
 * `ses`, shared with auth: the send rate is one budget for the platform, not a per-replica setting.
 */
export const notifierSettings = fragment(
  {
    /** SES calls in flight at once (each of up to NOTIFIER_BULK_SIZE e-mails). */
    NOTIFIER_CONCURRENCY: env.positiveInt(16),
    /** E-mails per SendBulkEmail call, 1 to 50 (SES's limit): one signed HTTP request for them all. */
    NOTIFIER_BULK_SIZE: z.coerce.number().int().min(1).max(50).default(50),
    /** How long the first e-mail of a call waits for others to join it (result e-mails are not urgent). */
    NOTIFIER_BULK_LINGER_MS: env.nonNegativeInt(20),
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
  },
  (e) => ({
    concurrency: e.NOTIFIER_CONCURRENCY,
    bulk: { maxEntries: e.NOTIFIER_BULK_SIZE, lingerMs: e.NOTIFIER_BULK_LINGER_MS },
    maxAttempts: e.NOTIFIER_MAX_ATTEMPTS,
    pollMs: e.NOTIFIER_POLL_MS,
    leaseMs: e.NOTIFIER_LEASE_MS,
    retry: { baseMs: e.NOTIFIER_RETRY_BASE_MS, maxMs: e.NOTIFIER_RETRY_MAX_MS },
    quietMs: e.NOTIFIER_QUIET_MS,
    minRateWhileBusy: e.NOTIFIER_MIN_RATE_WHILE_BUSY,
  }),
);

/** The notifier's part of the issuer's environment, on its own (its tests read just this). */
export const notifierConfigSchema = defineConfig({ notifier: notifierSettings, ses });

/** What the notifier reads of the issuer's config. */
export type NotifierConfig = Pick<z.infer<typeof notifierConfigSchema>, 'notifier' | 'ses'>;
