/**
 * Coalesces concurrent calls into batches: an item waits at most `maxWaitMs` (or until
 * `maxItems` are queued) and then goes out with the others in one `run` call. `run`
 * answers one result per item, in order; an item's result may be an Error, which rejects
 * only that item's caller. A failed `run` rejects every caller of that batch.
 */
export interface BatcherOptions<I, R> {
  maxItems: number;
  maxWaitMs: number;
  run: (items: I[]) => Promise<(R | Error)[]>;
  /** Observes each batch size (metrics). */
  onBatch?: (size: number) => void;
  /**
   * One batch at a time: what arrives while a batch runs goes out together as soon as it ends. For work
   * whose batches must not overtake each other (the event service's gate: positions reach Kafka in order).
   */
  sequential?: boolean;
  /**
   * How much of `maxItems` an item takes (default 1), for items that are themselves groups: a group is
   * never split, and one larger than `maxItems` goes out alone.
   */
  sizeOf?: (item: I) => number;
}

export interface Batcher<I, R> {
  add(item: I): Promise<R>;
  /** Sends what is queued now and waits until every batch, including those queued meanwhile, is answered. */
  flush(): Promise<void>;
}

interface Pending<I, R> {
  item: I;
  size: number;
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

function settle<I, R>(batch: Pending<I, R>[], results: (R | Error)[]): void {
  batch.forEach((p, i) => {
    const result = results[i];
    if (result instanceof Error) p.reject(result);
    else if (i >= results.length) p.reject(new Error(`batch answered ${results.length} results for ${batch.length} items`));
    else p.resolve(result as R);
  });
}

export function createBatcher<I, R>(options: BatcherOptions<I, R>): Batcher<I, R> {
  const { maxItems, maxWaitMs, run, onBatch, sequential = false, sizeOf } = options;
  let queue: Pending<I, R>[] = [];
  let queuedSize = 0;
  let timer: NodeJS.Timeout | undefined;
  let scheduled = false;
  const inFlight = new Set<Promise<void>>();

  /** The next batch off the queue: whole items, up to maxItems, at least one. */
  const take = (): Pending<I, R>[] => {
    let n = 0;
    let size = 0;
    while (n < queue.length) {
      const next = (queue[n] as Pending<I, R>).size;
      if (n > 0 && size + next > maxItems) break;
      size += next;
      n++;
    }
    const batch = n === queue.length ? queue : queue.slice(0, n);
    queue = n === queue.length ? [] : queue.slice(n);
    queuedSize -= size;
    onBatch?.(size);
    return batch;
  };

  const start = (batch: Pending<I, R>[]): void => {
    const done = run(batch.map((p) => p.item)).then(
      (results) => settle(batch, results),
      (err: unknown) => {
        for (const p of batch) p.reject(err);
      },
    );
    inFlight.add(done);
    void done.finally(() => {
      inFlight.delete(done);
      // What queued up behind a sequential batch goes out now: it has waited long enough.
      if (sequential && queue.length > 0) send();
    });
  };

  const send = (): void => {
    scheduled = false;
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (sequential && inFlight.size > 0) return;
    while (queue.length > 0) {
      start(take());
      if (sequential) return;
    }
  };

  return {
    add(item) {
      return new Promise<R>((resolve, reject) => {
        const size = sizeOf?.(item) ?? 1;
        queue.push({ item, size, resolve, reject });
        queuedSize += size;
        if (sequential && inFlight.size > 0) return;
        if (queuedSize >= maxItems) send();
        else if (!scheduled) {
          scheduled = true;
          // 0 ms means "whatever arrived in this turn of the event loop".
          if (maxWaitMs > 0) timer = setTimeout(send, maxWaitMs);
          else setImmediate(send);
        }
      });
    },
    async flush() {
      send();
      while (inFlight.size > 0) {
        await Promise.all([...inFlight]);
        send();
      }
    },
  };
}
