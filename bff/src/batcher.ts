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
}

export interface Batcher<I, R> {
  add(item: I): Promise<R>;
  /** Sends what is queued now and waits for every batch in flight. */
  flush(): Promise<void>;
}

interface Pending<I, R> {
  item: I;
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

export function createBatcher<I, R>({ maxItems, maxWaitMs, run, onBatch }: BatcherOptions<I, R>): Batcher<I, R> {
  let queue: Pending<I, R>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let scheduled = false;
  const inFlight = new Set<Promise<void>>();

  const send = (): void => {
    scheduled = false;
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    onBatch?.(batch.length);
    const done = run(batch.map((p) => p.item)).then(
      (results) => {
        batch.forEach((p, i) => {
          const result = results[i];
          if (result instanceof Error) p.reject(result);
          else if (i >= results.length) p.reject(new Error(`batch answered ${results.length} results for ${batch.length} items`));
          else p.resolve(result as R);
        });
      },
      (err: unknown) => {
        for (const p of batch) p.reject(err);
      },
    );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };

  return {
    add(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (queue.length >= maxItems) send();
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
      await Promise.all([...inFlight]);
    },
  };
}
