import { retryDelayMs } from './backoff';

const policy = { baseMs: 1_000, maxMs: 60_000 };

describe('retryDelayMs', () => {
  it('doubles per attempt, between half and all of the exponential step', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, policy, () => 0))).toEqual([500, 1_000, 2_000, 4_000]);
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, policy, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('is capped at maxMs however many attempts were made', () => {
    expect(retryDelayMs(7, policy, () => 1)).toBe(60_000);
    expect(retryDelayMs(1_000, policy, () => 1)).toBe(60_000);
    expect(retryDelayMs(1_000, policy, () => 0)).toBe(30_000);
  });

  it('spreads rows that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(5, policy)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(8_000);
    for (const d of delays) expect(d).toBeLessThanOrEqual(16_000);
  });
});
