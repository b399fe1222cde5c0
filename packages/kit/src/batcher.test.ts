import { createBatcher } from './batcher';

describe('createBatcher', () => {
  it('coalesces the calls of one moment into one batch and answers each caller in order', async () => {
    const batches: number[][] = [];
    const batcher = createBatcher<number, string>({
      maxItems: 100,
      maxWaitMs: 2,
      run: async (items) => {
        batches.push(items);
        return items.map((n) => `r${n}`);
      },
    });
    const results = await Promise.all([1, 2, 3].map((n) => batcher.add(n)));
    expect(results).toEqual(['r1', 'r2', 'r3']);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('sends at once when the batch is full', async () => {
    const batches: number[][] = [];
    const batcher = createBatcher<number, number>({
      maxItems: 2,
      maxWaitMs: 10_000,
      run: async (items) => {
        batches.push(items);
        return items;
      },
    });
    await Promise.all([batcher.add(1), batcher.add(2)]);
    expect(batches).toEqual([[1, 2]]);
    const third = batcher.add(3);
    await batcher.flush();
    await expect(third).resolves.toBe(3);
  });

  it('rejects only the caller whose item failed', async () => {
    const batcher = createBatcher<number, number>({
      maxItems: 10,
      maxWaitMs: 0,
      run: async (items) => items.map((n) => (n === 2 ? new Error('two is bad') : n)),
    });
    const [a, b, c] = await Promise.allSettled([batcher.add(1), batcher.add(2), batcher.add(3)]);
    expect(a).toEqual({ status: 'fulfilled', value: 1 });
    expect(b).toMatchObject({ status: 'rejected', reason: new Error('two is bad') });
    expect(c).toEqual({ status: 'fulfilled', value: 3 });
  });

  it('rejects every caller of a batch whose call failed, and goes on with the next batch', async () => {
    let fail = true;
    const batcher = createBatcher<number, number>({
      maxItems: 10,
      maxWaitMs: 0,
      run: async (items) => {
        if (fail) throw new Error('unavailable');
        return items;
      },
    });
    const first = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    expect(first.every((r) => r.status === 'rejected')).toBe(true);
    fail = false;
    await expect(batcher.add(3)).resolves.toBe(3);
  });

  it('rejects items that a short answer left without a result', async () => {
    const batcher = createBatcher<number, number>({ maxItems: 10, maxWaitMs: 0, run: async () => [1] });
    const [, second] = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    expect(second.status).toBe('rejected');
  });
});

describe('createBatcher, sequential and with sized items', () => {
  it('runs one batch at a time and sends what queued up meanwhile as one batch right after', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const firstRunning = new Promise<void>((resolve) => {
      release = resolve;
    });
    let first = true;
    const batcher = createBatcher<number, number>({
      maxItems: 10,
      maxWaitMs: 0,
      sequential: true,
      run: async (items) => {
        batches.push(items);
        if (first) {
          first = false;
          await firstRunning;
        }
        return items;
      },
    });
    const one = batcher.add(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [batcher.add(2), batcher.add(3)];
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toEqual([[1]]);
    release();
    await expect(Promise.all([one, ...later])).resolves.toEqual([1, 2, 3]);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('never splits an item that is a group, and lets a group larger than the limit go alone', async () => {
    const batches: string[][][] = [];
    const batcher = createBatcher<string[], number>({
      maxItems: 4,
      maxWaitMs: 10_000,
      sequential: true,
      sizeOf: (group) => group.length,
      run: async (groups) => {
        batches.push(groups);
        return groups.map((g) => g.length);
      },
    });
    const sizes = Promise.all([
      batcher.add(['a', 'b', 'c']),
      batcher.add(['d', 'e']),
      batcher.add(['f', 'g', 'h', 'i', 'j']),
      batcher.add(['k']),
    ]);
    await batcher.flush();
    await expect(sizes).resolves.toEqual([3, 2, 5, 1]);
    expect(batches).toEqual([[['a', 'b', 'c']], [['d', 'e']], [['f', 'g', 'h', 'i', 'j']], [['k']]]);
  });
});
