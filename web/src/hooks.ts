import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, withRetry } from './graphql';

/** The hash route, e.g. "/events/3" for "#/events/3"; static hosting needs nothing but index.html. */
export function currentRoute(): string {
  return location.hash.replace(/^#/, '') || '/';
}

export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = (): void => setRoute(currentRoute());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function navigate(route: string): void {
  location.hash = route;
}

/** Now, refreshed every `intervalMs` while `active`: countdowns tick locally, nothing is polled. */
export function useNow(active = true, intervalMs = 1_000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}

export type Load<T> =
  { state: 'loading'; waitSeconds?: number } | { state: 'done'; data: T } | { state: 'failed'; error: ApiError };

/**
 * Runs a query when `key` changes, retrying transient failures with backoff (and saying how long
 * it waits); `reload()` runs it again. A newer run or unmounting aborts an older one.
 */
export function useLoad<T>(key: string, run: () => Promise<T>): [Load<T>, () => void, (data: T) => void] {
  const [load, setLoad] = useState<Load<T>>({ state: 'loading' });
  const [generation, setGeneration] = useState(0);
  const runRef = useRef(run);
  runRef.current = run;
  useEffect(() => {
    const abort = new AbortController();
    setLoad({ state: 'loading' });
    withRetry(() => runRef.current(), {
      signal: abort.signal,
      onWait: (ms) => setLoad({ state: 'loading', waitSeconds: Math.ceil(ms / 1000) }),
    }).then(
      (data) => {
        if (!abort.signal.aborted) setLoad({ state: 'done', data });
      },
      (err: unknown) => {
        if (!abort.signal.aborted)
          setLoad({ state: 'failed', error: err instanceof ApiError ? err : new ApiError('NETWORK', String(err)) });
      },
    );
    return () => abort.abort();
  }, [key, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const replace = useCallback((data: T) => setLoad({ state: 'done', data }), []);
  return [load, reload, replace];
}
