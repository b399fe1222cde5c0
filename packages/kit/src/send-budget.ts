import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { defineLuaScripts } from './lua';

/** Who asks: a person waiting for a verification code, or a result e-mail from the outbox. */
export type SendPriority = 'code' | 'result';

export interface SendBudgetSettings {
  /** The SES account's maximum send rate, e-mails a second, for the whole platform. */
  ratePerSecond: number;
  /** The Redis key every replica of every sending part shares. */
  key: string;
}

/** The bucket's shape for a rate: what the Lua script is given. */
export interface BudgetLimits {
  rate: number;
  /** One second of sends (at least 2, so a result can ever leave a reserve). */
  capacity: number;
  /** Half the capacity: what result e-mails always leave for codes. */
  reserve: number;
}

export function budgetLimits(ratePerSecond: number): BudgetLimits {
  const capacity = Math.max(2, ratePerSecond);
  return { rate: ratePerSecond, capacity, reserve: capacity / 2 };
}

export type BudgetGrant =
  /** Send after `waitMs` (a code queued for a token that is not there yet), else at once. */
  | { granted: true; waitMs: number }
  /** Nothing left for this priority; the earliest a try can succeed. */
  | { granted: false; retryAfterMs: number };

export interface SendBudget {
  readonly limits: BudgetLimits;
  /** One send of `priority`; a code may queue up to `maxQueueMs` for its token. */
  take(priority: SendPriority, maxQueueMs?: number): Promise<BudgetGrant>;
  /** Waits until a result e-mail may go; rejects with `signal`'s reason once it aborts. */
  untilResultMayGo(signal?: AbortSignal): Promise<void>;
}

// The script sits beside the package (packages/kit/lua), the same distance from src/ and dist/.
const SCRIPT = join(__dirname, '..', 'lua', 'take-send-budget.lua');

/**
 * The one SES send budget of the platform, in Redis so that every replica of auth and of the
 * issuer's notifier draws on it atomically. Codes are served before result e-mails: see the script.
 */
export function createSendBudget(redis: Redis, settings: SendBudgetSettings, random: () => number = Math.random): SendBudget {
  const limits = budgetLimits(settings.ratePerSecond);
  const { takeSendBudget } = defineLuaScripts(redis, { takeSendBudget: { file: SCRIPT, keys: 1 } });
  // Waiting results look again at least this often apart: one token's time, so they do not spin.
  const tokenMs = 1000 / limits.rate;

  async function take(priority: SendPriority, maxQueueMs = 0): Promise<BudgetGrant> {
    const reply = (await takeSendBudget(
      [settings.key],
      [limits.rate, limits.capacity, limits.reserve, priority, Math.max(0, Math.floor(maxQueueMs))],
    )) as [number, number];
    const [granted, ms] = reply;
    return granted === 1 ? { granted: true, waitMs: Number(ms) } : { granted: false, retryAfterMs: Number(ms) };
  }

  return {
    limits,
    take,
    async untilResultMayGo(signal) {
      for (;;) {
        signal?.throwIfAborted();
        const grant = await take('result');
        if (grant.granted) return;
        // Jittered, so the replicas waiting for the same token do not all ask in the same millisecond.
        const waitMs = Math.max(grant.retryAfterMs, tokenMs) * (1 + random() / 2);
        await sleep(waitMs, undefined, signal ? { signal } : {});
      }
    },
  };
}
