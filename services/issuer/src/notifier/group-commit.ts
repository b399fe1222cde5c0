/**
 * Batches writes the way a database group-commits: the first write goes out at once, and writes that
 * arrive while one is in progress go out together right after it. Nothing waits on a timer, so a
 * write is never later than one round trip behind, whatever the load.
 */
export function createGroupCommit<T>(flush: (items: T[]) => Promise<void>, maxBatch = 100): (item: T) => Promise<void> {
  let queue: Array<{ item: T; settle: (err?: unknown) => void }> = [];
  let flushing = false;

  async function drain(): Promise<void> {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(maxBatch);
      try {
        await flush(batch.map((b) => b.item));
        for (const b of batch) b.settle();
      } catch (err) {
        for (const b of batch) b.settle(err);
      }
    }
    flushing = false;
  }

  return (item) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ item, settle: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!flushing) void drain();
    });
}
