import { createGroupCommit } from './group-commit';

describe('createGroupCommit', () => {
  it('writes the first item at once and batches those that arrive meanwhile', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const write = createGroupCommit<number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
    });
    const first = write(1);
    const rest = [write(2), write(3), write(4)];
    expect(batches).toEqual([[1]]);
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('caps a batch and rejects only the items of a failed batch', async () => {
    const batches: number[][] = [];
    const write = createGroupCommit<number>(async (items) => {
      batches.push(items);
      if (items.includes(2)) throw new Error('db down');
    }, 2);
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(write));
    expect(batches).toEqual([[1], [2, 3], [4, 5]]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
  });
});
