import { Redis } from 'ioredis';
import { randomSuffix, urls } from '../../../test/support';
import { budgetLimits, createSendBudget } from './send-budget';

describe('the shared SES send budget (real Redis, the Lua script)', () => {
  const redis = new Redis(urls.redis);
  const keys: string[] = [];
  const budgetOf = (ratePerSecond: number) => {
    const key = `test:budget:${randomSuffix()}:{ses}`;
    keys.push(key);
    return createSendBudget(redis, { ratePerSecond, key });
  };
  afterAll(async () => {
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('sizes the bucket at one second of sends, half of it kept for codes', () => {
    expect(budgetLimits(200)).toEqual({ rate: 200, capacity: 200, reserve: 100 });
    expect(budgetLimits(1.1)).toEqual({ rate: 1.1, capacity: 2, reserve: 1 });
  });

  it('lets result e-mails take only what leaves the reserve, and never queue', async () => {
    const budget = budgetOf(10);
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await budget.take('result'));
    // Capacity 10, reserve 5: five results go, the sixth would eat into the codes' share.
    expect(results.slice(0, 5).every((r) => r.granted && r.waitMs === 0)).toBe(true);
    const refused = results[5];
    expect(refused).toMatchObject({ granted: false });
    // About one token's time (100 ms at 10/s) until the bucket is above the reserve again.
    expect(refused?.granted === false && refused.retryAfterMs).toBeGreaterThan(50);
    expect(refused?.granted === false && refused.retryAfterMs).toBeLessThanOrEqual(100);
    // The reserve is still whole for codes.
    for (let i = 0; i < 5; i++) await expect(budget.take('code')).resolves.toEqual({ granted: true, waitMs: 0 });
  });

  it('queues codes in arrival order up to the wait they accept, then refuses with an honest retry-after', async () => {
    const budget = budgetOf(10);
    for (let i = 0; i < 10; i++) await budget.take('code');
    // Empty: a code may wait up to 500 ms, i.e. for the next five tokens, 100 ms apart.
    const queued = [];
    for (let i = 0; i < 5; i++) queued.push(await budget.take('code', 500));
    const waits = queued.map((q) => (q.granted ? q.waitMs : -1));
    expect(waits.every((w, i) => w > 0 && w <= 500 && (i === 0 || w > (waits[i - 1] ?? 0)))).toBe(true);
    const refused = await budget.take('code', 500);
    expect(refused.granted).toBe(false);
    if (refused.granted) return;
    // Six tokens owed at 10/s: the sixth is 600 ms away, 100 ms beyond what the caller accepts.
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(100);
    // Results wait for every queued code and the reserve: more than a second.
    const result = await budget.take('result');
    expect(result.granted === false && result.retryAfterMs).toBeGreaterThan(1000);
    // After the retry-after, the same take succeeds.
    await new Promise((r) => setTimeout(r, refused.retryAfterMs + 20));
    await expect(budget.take('code', 500)).resolves.toMatchObject({ granted: true });
  });

  it('holds every replica to one rate: two clients on one key share the tokens', async () => {
    const key = `test:budget:${randomSuffix()}:{ses}`;
    keys.push(key);
    const other = new Redis(urls.redis);
    try {
      const a = createSendBudget(redis, { ratePerSecond: 4, key });
      const b = createSendBudget(other, { ratePerSecond: 4, key });
      const grants = await Promise.all([a, b, a, b, a, b].map((budget) => budget.take('code')));
      expect(grants.filter((g) => g.granted)).toHaveLength(4);
    } finally {
      other.disconnect();
    }
  });

  it('makes a waiting result e-mail go once the codes leave room, and stops waiting when aborted', async () => {
    const budget = budgetOf(20);
    for (let i = 0; i < 20; i++) await budget.take('code');
    const startedAt = Date.now();
    await budget.untilResultMayGo();
    // Eleven tokens to refill at 20/s (the reserve of 10, then its own) before it may go.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(450);
    for (let i = 0; i < 20; i++) await budget.take('code');
    const stop = new AbortController();
    const waiting = budget.untilResultMayGo(stop.signal);
    stop.abort(new Error('stopping'));
    await expect(waiting).rejects.toThrow();
  });
});
