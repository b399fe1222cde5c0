/** An async iterator fed by pushes: what a GraphQL subscription hands to graphql-js. */
export interface PushIterator<T> extends AsyncIterableIterator<T> {
  push(value: T): void;
  /** Ends the iteration (after what was already pushed). */
  end(): void;
}

export function createPushIterator<T>(onReturn: () => void): PushIterator<T> {
  const values: T[] = [];
  const waiting: ((result: IteratorResult<T>) => void)[] = [];
  let done = false;
  let returned = false;

  const finish = (): void => {
    done = true;
    for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
    if (!returned) {
      returned = true;
      onReturn();
    }
  };

  const iterator: PushIterator<T> = {
    push(value) {
      if (done) return;
      const resolve = waiting.shift();
      if (resolve) resolve({ value, done: false });
      else values.push(value);
    },
    end() {
      if (values.length === 0) finish();
      else done = true;
    },
    next() {
      if (values.length > 0) {
        const value = values.shift() as T;
        if (done && values.length === 0) queueMicrotask(finish);
        return Promise.resolve({ value, done: false });
      }
      if (done) {
        finish();
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    return() {
      values.length = 0;
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(err?: unknown) {
      values.length = 0;
      finish();
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
