import { backoffDelayMs, sleep } from './backoff';

/** An error the API answered (its `extensions.code`), or NETWORK when no answer came. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Worth trying again later: the server was busy or away, not saying no. */
const TRANSIENT = new Set(['RATE_LIMITED', 'UNAVAILABLE', 'NETWORK', 'INTERNAL_SERVER_ERROR']);

export function isTransient(err: unknown): err is ApiError {
  return err instanceof ApiError && TRANSIENT.has(err.code);
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; retryAfterSeconds?: number } }[];
}

function retryAfterHeader(res: Response): number | undefined {
  const value = Number(res.headers.get('retry-after'));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

let sessionEnded: () => void = () => undefined;

/** Called when the server refuses the page's token (expired, or signed by a retired key). */
export function onSessionEnded(handler: () => void): void {
  sessionEnded = handler;
}

/** One operation over HTTP POST to the page's own origin. */
export async function request<T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('NETWORK', 'no answer from the server');
  }
  let body: GraphQLBody<T>;
  try {
    body = (await res.json()) as GraphQLBody<T>;
  } catch {
    throw new ApiError(res.status === 429 ? 'RATE_LIMITED' : 'UNAVAILABLE', `HTTP ${res.status}`, retryAfterHeader(res));
  }
  const first = body.errors?.[0];
  if (first) {
    const code = first.extensions?.code ?? (res.status === 429 ? 'RATE_LIMITED' : 'INTERNAL_SERVER_ERROR');
    if (code === 'UNAUTHENTICATED' && token) sessionEnded();
    throw new ApiError(code, first.message, first.extensions?.retryAfterSeconds ?? retryAfterHeader(res));
  }
  if (!body.data) throw new ApiError('UNAVAILABLE', `HTTP ${res.status} without data`);
  return body.data;
}

export interface RetryOptions {
  signal?: AbortSignal;
  /** Told before each wait, e.g. to show "retrying in 3 s". */
  onWait?: (ms: number, err: ApiError) => void;
  maxAttempts?: number;
  /** Which failures are worth another try; default: the transient ones. */
  retryable?: (err: unknown) => err is ApiError;
}

/**
 * Runs `op` until it answers or fails for a reason retrying cannot mend. Between tries it waits
 * with jittered exponential backoff, never less than the server's `retryAfterSeconds`.
 */
export async function withRetry<T>(
  op: () => Promise<T>,
  { signal, onWait, maxAttempts = 8, retryable = isTransient }: RetryOptions = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (!retryable(err) || attempt + 1 >= maxAttempts || signal?.aborted) throw err;
      const ms = backoffDelayMs(attempt, err.retryAfterSeconds);
      onWait?.(ms, err);
      await sleep(ms, signal);
    }
  }
}
