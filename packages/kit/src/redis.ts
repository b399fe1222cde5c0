import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/** Where a part's Redis is and who it is there (the `redis` config fragment); a bare URL in tests. */
export interface RedisSettings {
  url: string;
  /** The part's ACL user (REDIS_USERNAME); a URL's own `user:password@` works too. */
  username?: string | undefined;
  password?: string | undefined;
  /** TLS (REDIS_TLS, or a `rediss://` URL); the server's certificate is checked against Node's CAs, or `tlsCa`. */
  tls?: boolean;
  /** The server's CA as PEM (REDIS_TLS_CA). */
  tlsCa?: string | undefined;
}

/**
 * The ACL rule a part's Redis user needs (`ACL SETUSER <user> on ><password> <rule>`): only its own key
 * patterns and Pub/Sub channels, and only the commands the parts use (reads, writes, Lua scripts with
 * EVALSHA, Pub/Sub, INFO for the client's ready check, TIME for the scripts' clock), never the dangerous ones (FLUSHALL, CONFIG, KEYS,
 * DEBUG, ...). docs/security-internal.md lists each part's patterns.
 */
export function redisAclRule({ keys, channels = [] }: { keys: string[]; channels?: string[] }): string {
  return [
    'resetkeys',
    'resetchannels',
    ...keys.map((k) => `~${k}`),
    ...channels.map((c) => `&${c}`),
    '-@all',
    '+@read',
    '+@write',
    '+@scripting',
    '+@pubsub',
    '+@connection',
    '-@dangerous',
    // INFO: the client's ready check; TIME: the Lua scripts' clock (the SES send budget).
    '+info',
    '+time',
  ].join(' ');
}

/** ioredis with bounded retries, so a Redis outage surfaces as an error, not a hang. */
export function createRedis(settings: RedisSettings | string, logger: Logger, options: RedisOptions = {}): Redis {
  const { url, username, password, tls, tlsCa } = typeof settings === 'string' ? { url: settings } : settings;
  const redis = new Redis(url, {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    // A rediss:// URL turns TLS on by itself; its options (the CA) still come from here.
    ...(tls === true ? { tls: tlsCa === undefined ? {} : { ca: [tlsCa] } } : {}),
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 100, 2_000),
    ...options,
  });
  let lastError = '';
  redis.on('error', (err: Error) => {
    // ioredis repeats the same error on every reconnect attempt; log it once per change.
    if (err.message !== lastError) logger.warn({ err: err.message }, 'redis error');
    lastError = err.message;
  });
  redis.on('ready', () => {
    if (lastError) logger.info('redis reconnected');
    lastError = '';
  });
  return redis;
}

/**
 * Deletes every key under `prefix` with SCAN (never KEYS, never FLUSHALL): a throwaway run's keys on a
 * Redis others use.
 */
export async function deleteKeysByPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
