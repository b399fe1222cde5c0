// A small GraphQL client for end-to-end tests: HTTP POST with fetch, subscriptions with graphql-ws.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** Test responses are checked with expect(); a loose data type keeps the tests readable. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = Record<string, any>;

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; retryAfterSeconds?: number } & Record<string, unknown> }[];
}

/** POSTs one operation; answers the HTTP status with the body. */
export async function gql<T = Loose>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  try {
    return { status: res.status, ...(JSON.parse(text) as object) };
  } catch {
    throw new Error(`HTTP ${res.status} answered a body that is not JSON: ${text.slice(0, 200)}`);
  }
}

/** The code of the first error, if any. */
export function codeOf(response: GraphQLResponse<unknown>): string | undefined {
  return response.errors?.[0]?.extensions?.code;
}

export function wsClient(wsUrl: string, token?: string): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 5,
    lazy: true,
  });
}

export interface Subscription<T> {
  /** Every payload received so far. */
  values: T[];
  errors: unknown[];
  /** Resolves with the first value that satisfies `predicate`. */
  until(predicate: (value: T) => boolean, timeoutMs?: number): Promise<T>;
  dispose(): void;
}

/** Subscribes and collects every `next` payload's data. */
export function subscribe<T = Loose>(client: Client, query: string, variables: Record<string, unknown> = {}): Subscription<T> {
  const values: T[] = [];
  const errors: unknown[] = [];
  const waiters: { predicate: (v: T) => boolean; resolve: (v: T) => void }[] = [];
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        if (result.data) {
          const value = result.data as T;
          values.push(value);
          for (const w of [...waiters]) {
            if (w.predicate(value)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(value);
            }
          }
        }
      },
      error: (err) => errors.push(err),
      complete: () => undefined,
    },
  );
  return {
    values,
    errors,
    until(predicate, timeoutMs = 60_000) {
      const found = values.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no matching value within ${timeoutMs} ms; got ${JSON.stringify(values.slice(-3))}, errors ${JSON.stringify(errors)}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          predicate,
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
        });
      });
    },
    dispose,
  };
}
