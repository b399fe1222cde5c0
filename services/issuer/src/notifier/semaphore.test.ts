import { createSemaphore } from './semaphore';

const tick = () => new Promise((r) => setImmediate(r));

describe('createSemaphore', () => {
  it('admits up to the limit and then one per release, in order', async () => {
    const sem = createSemaphore(2);
    const order: number[] = [];
    const releases = await Promise.all([sem.acquire(), sem.acquire()]);
    const third = sem.acquire().then((r) => (order.push(3), r));
    const fourth = sem.acquire().then((r) => (order.push(4), r));
    await tick();
    expect(order).toEqual([]);
    releases[0]?.();
    releases[0]?.(); // a second release of the same place is ignored
    await tick();
    expect(order).toEqual([3]);
    releases[1]?.();
    await Promise.all([third, fourth]);
    expect(order).toEqual([3, 4]);
  });

  it('lets a waiter give up without taking a place', async () => {
    const sem = createSemaphore(1);
    const release = await sem.acquire();
    const controller = new AbortController();
    const gaveUp = sem.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(gaveUp).rejects.toThrow('stop');
    release();
    await expect(sem.acquire()).resolves.toEqual(expect.any(Function));
  });
});
