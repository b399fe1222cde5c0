import { backoffDelayMs, sleep } from './backoff';

describe('backoffDelayMs', () => {
  it('grows exponentially up to the cap, spread over the whole range by jitter', () => {
    expect(backoffDelayMs(0, undefined, () => 0.999)).toBe(499);
    expect(backoffDelayMs(3, undefined, () => 0.999)).toBe(3_996);
    expect(backoffDelayMs(20, undefined, () => 0.999)).toBe(29_970);
    expect(backoffDelayMs(3, undefined, () => 0.5)).toBe(2_000);
  });

  it('never retries at once, even with no jitter drawn', () => {
    expect(backoffDelayMs(0, undefined, () => 0)).toBe(250);
  });

  it("never comes back sooner than the server's retryAfterSeconds, and spreads the herd after it", () => {
    expect(backoffDelayMs(0, 2, () => 0)).toBe(2_000);
    expect(backoffDelayMs(0, 2, () => 0.999)).toBe(2_499);
    expect(backoffDelayMs(4, 30, () => 0.5)).toBe(34_000);
  });

  it('spreads many clients that failed together', () => {
    const delays = new Set(Array.from({ length: 200 }, () => backoffDelayMs(4, 1)));
    expect(delays.size).toBeGreaterThan(150);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(1_000);
  });
});

describe('sleep', () => {
  it('stops waiting when aborted', async () => {
    const abort = new AbortController();
    const waiting = sleep(60_000, abort.signal);
    abort.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
  });
});
