/**
 * How long to wait before retry `attempt` (0 for the first): exponential with full jitter, so a
 * herd of pages that failed at the same moment comes back spread out, not together; never sooner
 * than the server's `retryAfterSeconds`, and then spread over a little more on top.
 */
export function backoffDelayMs(
  attempt: number,
  retryAfterSeconds?: number,
  random: () => number = Math.random,
  { baseMs = 500, maxMs = 30_000 }: { baseMs?: number; maxMs?: number } = {},
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  const jitter = Math.floor(random() * ceiling);
  if (retryAfterSeconds !== undefined && retryAfterSeconds > 0) return retryAfterSeconds * 1000 + jitter;
  return Math.max(baseMs / 2, jitter);
}

/** Resolves after `ms`, or rejects at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
