import { createLogger } from '@fcfs/kit';
import { createRateLimiter, type CounterStore } from './rate-limit';

/** A store shared by several limiters, as Redis is by several BFF replicas. */
function sharedStore(): CounterStore & { totals: Map<string, number>; down: boolean } {
  const totals = new Map<string, number>();
  const store = {
    totals,
    down: false,
    async incrementAll(items: readonly { key: string; by: number }[]) {
      if (store.down) throw new Error('connect ECONNREFUSED');
      return items.map(({ key, by }) => {
        const total = (totals.get(key) ?? 0) + by;
        totals.set(key, total);
        return total;
      });
    },
  };
  return store;
}

const logger = createLogger('test', 'silent');
const limiters: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.stop()));
});

function limiter(store: CounterStore, now: () => number, limits = { ip: 5, participant: 3, global: 0 }) {
  const l = createRateLimiter({ limits, store, keyPrefix: 't:', syncIntervalMs: 60_000, logger, now });
  limiters.push(l);
  return l;
}

describe('createRateLimiter', () => {
  it('admits up to the limit, then answers the seconds left in the window', () => {
    let now = 60_000 * 100 + 15_000;
    const l = limiter(sharedStore(), () => now);
    for (let i = 0; i < 3; i++) expect(l.take('participant', 'p1')).toBeUndefined();
    expect(l.take('participant', 'p1')).toBe(45);
    expect(l.take('participant', 'p2')).toBeUndefined();
    now += 45_000;
    expect(l.take('participant', 'p1')).toBeUndefined();
  });

  it('shares counts across replicas through the store', async () => {
    const store = sharedStore();
    const now = () => 60_000 * 7;
    const a = limiter(store, now);
    const b = limiter(store, now);
    expect(a.take('ip', '10.0.0.1')).toBeUndefined();
    expect(a.take('ip', '10.0.0.1')).toBeUndefined();
    expect(a.take('ip', '10.0.0.1')).toBeUndefined();
    await a.sync();
    expect(b.take('ip', '10.0.0.1')).toBeUndefined();
    await b.sync();
    expect(store.totals.get('t:rl:ip:10.0.0.1:7')).toBe(4);
    expect(b.take('ip', '10.0.0.1')).toBeUndefined();
    expect(b.take('ip', '10.0.0.1')).toBeGreaterThan(0);
  });

  it('keeps limiting on its own when the store is down', async () => {
    const store = sharedStore();
    store.down = true;
    const l = limiter(store, () => 0);
    for (let i = 0; i < 3; i++) l.take('participant', 'p');
    await l.sync();
    expect(l.take('participant', 'p')).toBeGreaterThan(0);
  });

  it('does nothing when a limit is 0', () => {
    const l = limiter(sharedStore(), () => 0, { ip: 0, participant: 0, global: 0 });
    for (let i = 0; i < 100; i++) expect(l.take('ip', 'x')).toBeUndefined();
  });
});

describe('createRateLimiter with units', () => {
  it('charges several units at once, refusing a charge that would go over', () => {
    const l = limiter(sharedStore(), () => 0, { ip: 0, participant: 5, global: 0 });
    expect(l.take('participant', 'p', 3)).toBeUndefined();
    expect(l.take('participant', 'p', 3)).toBeGreaterThan(0);
    expect(l.take('participant', 'p', 2)).toBeUndefined();
    expect(l.take('participant', 'p')).toBeGreaterThan(0);
  });
});
