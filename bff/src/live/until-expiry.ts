/** What an expired subscription yields last; the field's `resolve` turns it into UNAUTHENTICATED. */
export const TOKEN_EXPIRED: unique symbol = Symbol('session token expired');

/** setTimeout's longest delay; a token living longer is looked at again after it. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Ends a live subscription when the token that opened it expires: the source is closed at
 * `expiresAtMs`, and the subscriber gets TOKEN_EXPIRED as its last value (then done), so a
 * subscription never outlives the session that was allowed to open it.
 */
export function untilExpiry<T>(
  source: AsyncIterableIterator<T>,
  expiresAtMs: number,
  now: () => number = Date.now,
): AsyncIterableIterator<T | typeof TOKEN_EXPIRED> {
  let expired = false;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const left = expiresAtMs - now();
    if (left <= 0) {
      expired = true;
      // Wakes a pending next(): the source ends.
      void source.return?.();
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_DELAY_MS));
    timer.unref();
  };
  arm();
  const stop = (): void => {
    finished = true;
    clearTimeout(timer);
  };

  const wrapped: AsyncIterableIterator<T | typeof TOKEN_EXPIRED> = {
    async next() {
      if (finished) return { value: undefined, done: true };
      const result = expired ? undefined : await source.next();
      if (expired) {
        stop();
        return { value: TOKEN_EXPIRED, done: false };
      }
      if (result?.done) stop();
      return result ?? { value: undefined, done: true };
    },
    async return(value?: unknown) {
      stop();
      return source.return ? source.return(value) : { value: undefined, done: true };
    },
    async throw(err?: unknown) {
      stop();
      return source.throw ? source.throw(err) : Promise.reject(err instanceof Error ? err : new Error(String(err)));
    },
    [Symbol.asyncIterator]() {
      return wrapped;
    },
  };
  return wrapped;
}
