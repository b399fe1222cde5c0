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
  perAddress: { max: number; windowMs: number };
  perIp: { max: number; windowMs: number };
}

/**
 * Pending codes and send throttles in Redis. All keys of one address share a hash tag, and
 * the client-IP budget has its own, so every script touches one slot (Redis Cluster safe).
 * Callers pass keyed hashes only: no address, IP or code reaches Redis in the clear.
 */
export function createCodeStore(redis: Redis, settings: CodeStoreSettings) {
  const scripts = defineLuaScripts(redis, {
    reserveSend: { file: lua('reserve-send'), keys: 3 },
    releaseSend: { file: lua('release-send'), keys: 3 },
    takeBudget: { file: lua('take-budget'), keys: 1 },
    refundBudget: { file: lua('refund-budget'), keys: 1 },
    takeAttempt: { file: lua('take-attempt'), keys: 1 },
    consumeCode: { file: lua('consume-code'), keys: 1 },
  });
  const { prefix } = settings;
  const addressKeys = (address: string): string[] => [
    `${prefix}addr:{${address}}:cooldown`,
    `${prefix}addr:{${address}}:sends`,
    `${prefix}addr:{${address}}:code`,
  ];
  const codeKey = (address: string): string => `${prefix}addr:{${address}}:code`;
  const ipKey = (ip: string): string => `${prefix}ip:{${ip}}:sends`;

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
          await scripts.reserveSend(addressKeys(address), [
            settings.cooldownMs,
            settings.perAddress.max,
            settings.perAddress.windowMs,
            codeHash,
            settings.codeTtlMs,
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
      await scripts.releaseSend(addressKeys(address), [codeHash]);
      await scripts.refundBudget([ipKey(ip)], []);
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
