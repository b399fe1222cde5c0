import { createClient, type Client } from 'graphql-ws';
import { backoffDelayMs, sleep } from './backoff';
import { ApiError, isTransient } from './graphql';

/** The server closes a connection it rate-limits with 4429 and "retry in N s". */
const CLOSE_TOO_MANY_REQUESTS = 4429;

let shared: { token: string | undefined; client: Client } | undefined;

function wsUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
}

/**
 * One WebSocket per page (per token), opened when the first subscription starts. A dropped
 * connection is reopened after a jittered, growing wait; a close graphql-ws treats as final (the
 * server's rate-limit close among them) ends the subscriptions, and `subscribe` starts them again.
 */
export function liveClient(token: string | undefined): Client {
  if (shared && shared.token === token) return shared.client;
  void shared?.client.dispose();
  const client = createClient({
    url: wsUrl(),
    lazy: true,
    lazyCloseTimeout: 1_000,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: Number.MAX_SAFE_INTEGER,
    shouldRetry: () => true,
    retryWait: (retries) => sleep(backoffDelayMs(retries)),
  });
  shared = { token, client };
  return client;
}

interface WireError {
  message: string;
  extensions?: { code?: string; retryAfterSeconds?: number };
}

function toApiError(err: unknown): ApiError {
  const close = err as { code?: unknown; reason?: unknown } | undefined;
  if (close && typeof close === 'object' && close.code === CLOSE_TOO_MANY_REQUESTS) {
    // "Too many requests; retry in 3 s"
    const seconds = Number(/(\d+)\s*s\b/.exec(String(close.reason ?? ''))?.[1]);
    return new ApiError('RATE_LIMITED', String(close.reason ?? 'too many requests'), seconds > 0 ? seconds : undefined);
  }
  const first = (Array.isArray(err) ? err[0] : err) as WireError | undefined;
  if (first && typeof first === 'object' && 'message' in first) {
    return new ApiError(first.extensions?.code ?? 'UNAVAILABLE', first.message, first.extensions?.retryAfterSeconds);
  }
  return new ApiError('NETWORK', 'the live connection closed');
}

export interface LiveHandlers<T> {
  next(data: T): void;
  /** A refusal retrying cannot mend (e.g. UNAUTHENTICATED); the subscription has stopped. */
  fail(err: ApiError): void;
  /** A transient error; the subscription starts again after `ms`. */
  waiting?(ms: number, err: ApiError): void;
}

/**
 * A subscription that outlives transient errors: when the server ends it with RATE_LIMITED or
 * UNAVAILABLE it subscribes again after the backoff. Returns the function that stops it.
 */
export function subscribe<T>(
  token: string | undefined,
  query: string,
  variables: Record<string, unknown>,
  handlers: LiveHandlers<T>,
): () => void {
  const stopper = new AbortController();
  let unsubscribe: (() => void) | undefined;
  let attempt = 0;
  const start = (): void => {
    unsubscribe = liveClient(token).subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) {
            onError(result.errors);
            return;
          }
          attempt = 0;
          if (result.data) handlers.next(result.data as T);
        },
        error: (err) => onError(err),
        complete: () => undefined,
      },
    );
  };
  const onError = (raw: unknown): void => {
    unsubscribe?.();
    if (stopper.signal.aborted) return;
    const err = toApiError(raw);
    if (!isTransient(err)) {
      handlers.fail(err);
      return;
    }
    const ms = backoffDelayMs(attempt++, err.retryAfterSeconds);
    handlers.waiting?.(ms, err);
    sleep(ms, stopper.signal).then(start, () => undefined);
  };
  start();
  return () => {
    stopper.abort();
    unsubscribe?.();
  };
}
