/**
 * A token bucket: `rate` tokens a second, holding at most `burst`. Tokens may go negative: each
 * caller reserves its token at once and waits its turn, so callers are served first come, first served.
 */
export interface Bucket {
  tokens: number;
  at: number;
}

export interface BucketLimits {
  rate: number;
  burst: number;
}

/** Takes one token at `now`; returns the new bucket and how long the caller waits for its token. */
export function reserveToken(bucket: Bucket, now: number, { rate, burst }: BucketLimits): { bucket: Bucket; waitMs: number } {
  const refilled = Math.min(burst, bucket.tokens + ((now - bucket.at) * rate) / 1000);
  const tokens = refilled - 1;
  return { bucket: { tokens, at: now }, waitMs: tokens >= 0 ? 0 : (-tokens * 1000) / rate };
}

/** Hands back a token that was reserved but not used (its caller gave up before sending). */
export function returnToken(bucket: Bucket, { burst }: BucketLimits): Bucket {
  return { tokens: Math.min(burst, bucket.tokens + 1), at: bucket.at };
}

export interface RateLimiter {
  /** Resolves when the caller may send; rejects if `signal` aborts first (the token is returned). */
  take(signal?: AbortSignal): Promise<void>;
}

/** The SES send rate of one process: with several issuer replicas, each holds its own bucket. */
export function createRateLimiter(limits: BucketLimits, clock: () => number = Date.now): RateLimiter {
  let bucket: Bucket = { tokens: limits.burst, at: clock() };
  return {
    take(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const reserved = reserveToken(bucket, clock(), limits);
      bucket = reserved.bucket;
      if (reserved.waitMs <= 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          clearTimeout(timer);
          bucket = returnToken(bucket, limits);
          reject(signal?.reason);
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, reserved.waitMs);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
