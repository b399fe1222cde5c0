import { join } from 'node:path';
import { defineLuaScripts } from '@fcfs/kit';
import type { Redis } from 'ioredis';

// The scripts sit beside the package (services/auth/lua), the same distance from src/ and dist/.
const lua = (name: string): string => join(__dirname, '..', 'lua', `${name}.lua`);

/** The small integer codes the scripts reply with, turned into outcomes by `outcomeOf`. */
const REPLY = {
  0: 'ok',
  1: 'cooldown',
  2: 'address-limit',
  3: 'ip-limit',
  4: 'missing',
  5: 'used',
  6: 'too-many-attempts',
} as const;

export type ReplyOutcome = (typeof REPLY)[keyof typeof REPLY];

function outcomeOf(reply: unknown): { outcome: ReplyOutcome; value: unknown; extra: unknown } {
  const [code, value, extra] = reply as [number, unknown, unknown];
  const outcome = REPLY[code as keyof typeof REPLY];
  if (outcome === undefined) throw new Error(`unexpected Lua reply ${String(code)}`);
  return { outcome, value, extra };
}

export type SendReservation = { outcome: 'ok' } | { outcome: 'cooldown' | 'address-limit' | 'ip-limit'; retryAfterMs: number };
export type Attempt = { outcome: 'ok'; hash: string; triesLeft: number } | { outcome: 'missing' | 'used' | 'too-many-attempts' };

export interface CodeStoreSettings {
  prefix: string;
  codeTtlMs: number;
  maxAttempts: number;
  cooldownMs: number;
  /** Sends per client for one address (per window), and to one address from every client together. */
  perAddress: { max: number; totalMax: number; windowMs: number };
  perIp: { max: number; windowMs: number };
  /** Failed verifications per client, and over every client together, per window. */
  verifyFailures: { perClient: number; global: number; windowMs: number };
}

export type FailureBudget = { outcome: 'ok' } | { outcome: 'ip-limit' | 'global-limit'; retryAfterMs: number };

/**
 * Pending codes and send throttles in Redis. All keys of one address share a hash tag, and
 * the client-IP budget has its own, so every script touches one slot (Redis Cluster safe).
 * Callers pass keyed hashes only: no address, IP or code reaches Redis in the clear.
 */
export function createCodeStore(redis: Redis, settings: CodeStoreSettings) {
  const scripts = defineLuaScripts(redis, {
    reserveSend: { file: lua('reserve-send'), keys: 4 },
    releaseSend: { file: lua('release-send'), keys: 4 },
    takeBudget: { file: lua('take-budget'), keys: 1 },
    refundBudget: { file: lua('refund-budget'), keys: 1 },
    takeAttempt: { file: lua('take-attempt'), keys: 1 },
    consumeCode: { file: lua('consume-code'), keys: 1 },
  });
  const { prefix } = settings;
  const addressKeys = (address: string, ip: string): string[] => [
    `${prefix}addr:{${address}}:ip:${ip}:cooldown`,
    `${prefix}addr:{${address}}:ip:${ip}:sends`,
    `${prefix}addr:{${address}}:code`,
    `${prefix}addr:{${address}}:sends`,
  ];
  const codeKey = (address: string): string => `${prefix}addr:{${address}}:code`;
  const ipKey = (ip: string): string => `${prefix}ip:{${ip}}:sends`;
  const failureKeys = (ip: string): [string, string] => [`${prefix}ip:{${ip}}:verify-failures`, `${prefix}{verify-failures}`];
  const { verifyFailures } = settings;

  return {
    /**
     * Takes the client's budget, then the address's (cooldown + window) and stores the code's
     * hash. A refusal gives back whatever was taken, so only real sends count.
     */
    async reserveSend(address: string, ip: string, codeHash: string): Promise<SendReservation> {
      const budget = outcomeOf(await scripts.takeBudget([ipKey(ip)], [settings.perIp.max, settings.perIp.windowMs]));
      if (budget.outcome !== 'ok') return { outcome: 'ip-limit', retryAfterMs: Number(budget.value) };
      let reserved: ReturnType<typeof outcomeOf>;
      try {
        reserved = outcomeOf(
          await scripts.reserveSend(addressKeys(address, ip), [
            settings.cooldownMs,
            settings.perAddress.max,
            settings.perAddress.windowMs,
            codeHash,
            settings.codeTtlMs,
            settings.perAddress.totalMax,
          ]),
        );
      } catch (err) {
        await scripts.refundBudget([ipKey(ip)], []).catch(() => undefined);
        throw err;
      }
      if (reserved.outcome === 'ok') return { outcome: 'ok' };
      await scripts.refundBudget([ipKey(ip)], []);
      return { outcome: reserved.outcome as 'cooldown' | 'address-limit', retryAfterMs: Number(reserved.value) };
    },

    /** Undoes a reservation whose e-mail was not sent: no pending code, no cooldown, budgets given back. */
    async releaseSend(address: string, ip: string, codeHash: string): Promise<void> {
      await scripts.releaseSend(addressKeys(address, ip), [codeHash]);
      await scripts.refundBudget([ipKey(ip)], []);
    },

    /**
     * Takes one unit of the client's and of the global failed-verification budget before a try (given
     * back by `refundFailure` when the try succeeds), so a spent budget refuses the guess before it
     * touches anyone's code.
     */
    async takeFailure(ip: string): Promise<FailureBudget> {
      const [clientKey, globalKey] = failureKeys(ip);
      const { windowMs } = verifyFailures;
      const client = outcomeOf(await scripts.takeBudget([clientKey], [verifyFailures.perClient, windowMs]));
      if (client.outcome !== 'ok') return { outcome: 'ip-limit', retryAfterMs: Number(client.value) };
      const global = outcomeOf(await scripts.takeBudget([globalKey], [verifyFailures.global, windowMs]));
      if (global.outcome === 'ok') return { outcome: 'ok' };
      await scripts.refundBudget([clientKey], []);
      return { outcome: 'global-limit', retryAfterMs: Number(global.value) };
    },

    /** Gives back what `takeFailure` took: the try did not fail. */
    async refundFailure(ip: string): Promise<void> {
      const [clientKey, globalKey] = failureKeys(ip);
      await Promise.all([scripts.refundBudget([clientKey], []), scripts.refundBudget([globalKey], [])]);
    },

    /** Counts one try against the pending code; `ok` carries the hash to compare. */
    async takeAttempt(address: string): Promise<Attempt> {
      const { outcome, value, extra } = outcomeOf(await scripts.takeAttempt([codeKey(address)], [settings.maxAttempts]));
      if (outcome === 'ok') return { outcome, hash: String(value), triesLeft: Number(extra) };
      if (outcome === 'missing' || outcome === 'used' || outcome === 'too-many-attempts') return { outcome };
      throw new Error(`unexpected take-attempt outcome ${outcome}`);
    },

    /** Redeems the code once; false when a concurrent redeem won. */
    async consume(address: string, codeHash: string): Promise<boolean> {
      return (await scripts.consumeCode([codeKey(address)], [codeHash])) === 1;
    },
  };
}

export type CodeStore = ReturnType<typeof createCodeStore>;
