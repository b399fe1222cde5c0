import { setTimeout as sleep } from 'node:timers/promises';
import { retryDelayMs, type BackoffPolicy, type SendBudget } from '@fcfs/kit';
import { classifySendError } from '@fcfs/kit/ses';
import type { Mailer } from './mailer';

/** How a code send retries within its request's deadline. */
export interface DeliveryPolicy {
  /** One SES call at most this long (cut shorter by the deadline). */
  attemptTimeoutMs: number;
  /** Between tries: exponential with jitter, so sends reset together do not retry together. */
  backoff: BackoffPolicy;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  attemptTimeoutMs: 3_000,
  backoff: { baseMs: 50, maxMs: 400 },
};

/** A try is not started with less than this left: it could not finish. */
const MIN_ATTEMPT_MS = 100;
/**
 * Codes being sent by this replica at once (waiting for a token or for SES). At SES's usual latency this
 * is hundreds a second, above any account's rate; it only bites when SES slows down, and then a code is
 * refused at once (RATE_LIMITED, in a second) rather than queued until it times out.
 */
const MAX_IN_FLIGHT = 128;

export type Delivery =
  | { outcome: 'sent'; attempts: number }
  /** The platform's send budget has nothing for a code now; `retryAfterMs` until it has. */
  | { outcome: 'rate-limited'; retryAfterMs: number }
  /** Permanent, or still transient when the deadline came; `retryAfterMs` is what to tell the caller. */
  | { outcome: 'failed'; attempts: number; error: unknown; transient: boolean; retryAfterMs: number };

/**
 * Sends a verification code: a token of the shared send budget per try (a code may queue for one,
 * up to a quarter of the time left: the rest is for SES, which slows down under the same herd), then SES; a transient failure (a reset connection, a timeout,
 * throttling) is tried again after a jittered pause, as long as the deadline leaves room.
 */
export function createCodeDelivery(
  mailer: Mailer,
  budget: SendBudget,
  policy: DeliveryPolicy = DEFAULT_DELIVERY_POLICY,
  maxInFlight = MAX_IN_FLIGHT,
) {
  let inFlight = 0;

  async function tries(to: string, code: string, ttlSeconds: number, deadline: number): Promise<Delivery> {
    for (let attempt = 1; ; attempt++) {
      const grant = await budget.take('code', (deadline - Date.now()) / 4);
      if (!grant.granted) return { outcome: 'rate-limited', retryAfterMs: grant.retryAfterMs };
      if (grant.waitMs > 0) await sleep(grant.waitMs);
      try {
        const timeoutMs = Math.max(MIN_ATTEMPT_MS, Math.min(policy.attemptTimeoutMs, deadline - Date.now()));
        await mailer.sendCode(to, code, ttlSeconds, AbortSignal.timeout(timeoutMs));
        return { outcome: 'sent', attempts: attempt };
      } catch (error) {
        const { transient } = classifySendError(error);
        const pauseMs = retryDelayMs(attempt, policy.backoff);
        if (!transient || Date.now() + pauseMs + MIN_ATTEMPT_MS > deadline) {
          return { outcome: 'failed', attempts: attempt, error, transient, retryAfterMs: policy.backoff.maxMs };
        }
        await sleep(pauseMs);
      }
    }
  }

  return {
    async deliver(to: string, code: string, ttlSeconds: number, deadline: number): Promise<Delivery> {
      if (inFlight >= maxInFlight) return { outcome: 'rate-limited', retryAfterMs: 1_000 };
      inFlight++;
      try {
        return await tries(to, code, ttlSeconds, deadline);
      } finally {
        inFlight--;
      }
    },
  };
}

export type CodeDelivery = ReturnType<typeof createCodeDelivery>;
