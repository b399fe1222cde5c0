// The herd's clients, as a well-behaved real client is: apply retried (with backoff) on UNAVAILABLE,
// a dropped connection or a 5xx until it gets an answer; a live `applicationStatus` subscription
// that reconnects (through the front, to whichever BFF replica) and subscribes again until it has
// been told a final status.
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { graphql, GraphQLRequestError } from '@fcfs/loadtest';
import { FINAL, type Told } from './checks';

const APPLY = 'mutation Apply($eventId: ID!) { apply(eventId: $eventId) { outcome application { status position } } }';
const STATUS = 'subscription Status($eventId: ID!) { applicationStatus(eventId: $eventId) { status position } }';
const MY_APPLICATION = 'query Mine($eventId: ID!) { myApplication(eventId: $eventId) { status position } }';

/** What a client keeps retrying: the platform said it cannot answer now, or the connection failed. */
export function retryable(err: unknown): boolean {
  if (err instanceof GraphQLRequestError) {
    return (
      ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RATE_LIMITED', 'INTERNAL_SERVER_ERROR'].includes(err.code) || /^HTTP_5/.test(err.code)
    );
  }
  return true; // fetch failed: connection refused or reset, a timeout
}

/** Calls `call` until it answers, backing off from 100 ms to 2 s; throws the last error at the deadline. */
export async function withRetry<T>(call: () => Promise<T>, deadlineMs: number, onRetry?: (err: unknown) => void): Promise<T> {
  let wait = 100;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!retryable(err) || Date.now() + wait > deadlineMs) throw err;
      onRetry?.(err);
      await sleep(wait);
      wait = Math.min(wait * 2, 2_000);
    }
  }
}

interface ApplicationView {
  status: string;
  position: number;
}

/** Applies once, retrying; answers what the client is told. */
export async function applyRetrying(url: string, token: string, eventId: string, deadlineMs: number): Promise<Told> {
  const data = await withRetry(
    () => graphql<{ apply: { outcome: string; application: ApplicationView | null } }>(url, APPLY, { eventId }, token, 10_000),
    deadlineMs,
  );
  const { outcome, application } = data.apply;
  if (application) return { status: application.status, position: application.position, via: 'apply' };
  return { status: outcome === 'SOLD_OUT' ? 'SOLD_OUT' : outcome, position: 0, via: 'apply' };
}

/** myApplication, retrying. */
export async function readApplication(url: string, token: string, eventId: string, deadlineMs: number) {
  const data = await withRetry(
    () => graphql<{ myApplication: ApplicationView | null }>(url, MY_APPLICATION, { eventId }, token, 10_000),
    deadlineMs,
  );
  return data.myApplication;
}

/** A live subscriber: every status it is told is pushed onto `told`; `done` once one is final. */
export interface Watcher {
  done: Promise<void>;
  close(): Promise<void>;
}

export function watchStatus(wsUrl: string, token: string, eventId: string, told: Told[]): Watcher {
  let closed = false;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const client: Client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: Number.MAX_SAFE_INTEGER,
    retryWait: () => sleep(300),
    shouldRetry: () => !closed,
  });
  const subscribeOnce = () =>
    new Promise<void>((resolve) => {
      client.subscribe<{ applicationStatus: ApplicationView }>(
        { query: STATUS, variables: { eventId } },
        {
          next: (result) => {
            const view = result.data?.applicationStatus;
            if (!view) return;
            told.push({ status: view.status, position: view.position, via: 'subscription' });
            if (FINAL.has(view.status)) finish();
          },
          error: () => resolve(),
          complete: () => resolve(),
        },
      );
    });
  // A subscription the BFF ended (its replica killed, an upstream UNAVAILABLE) is made again.
  const loop = (async () => {
    const final = done.then(() => 'final' as const);
    while (!closed) {
      if ((await Promise.race([subscribeOnce(), final])) === 'final') break;
      if (!closed) await sleep(300);
    }
  })();
  return {
    done,
    async close() {
      closed = true;
      finish();
      await loop;
      await client.dispose();
    },
  };
}
