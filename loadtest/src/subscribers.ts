import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { STATUS_SUBSCRIPTION } from './graphql';

export const FINAL_STATUSES = new Set(['ISSUED', 'SOLD_OUT', 'EXPIRED']);

/** What one watching participant saw. Times are wall-clock milliseconds (`Date.now()`). */
export interface SubscriberOutcome {
  participantId: string;
  status: string | undefined;
  /** The server's decision time, from the payload's `decidedAt`. */
  decidedAtMs: number | undefined;
  /** When the final status arrived here. */
  toldAtMs: number | undefined;
  messages: number;
  /** The BFF refused the subscription before the participant had applied (NOT_FOUND). */
  refusedBeforeApply: boolean;
  error: string | undefined;
}

export interface SubscriberPool {
  outcomes: SubscriberOutcome[];
  /** How many have their final status so far. */
  finalCount(): number;
  /** How many subscriptions the BFF refused because their participant had not applied yet. */
  refusedCount(): number;
  /** The i-th subscriber's apply was answered: subscribe again if the early subscription was refused. */
  applied(i: number): void;
  dispose(): Promise<void>;
}

/** One applicationStatus payload as the benchmark reads it (the waiting room asks for more fields). */
export interface StatusView {
  status?: string;
  position?: number;
  decidedAt?: string | number | null;
  estimatedWaitSeconds?: number | null;
}

interface StatusPayload {
  applicationStatus?: StatusView | null;
}

/** Sees every payload of subscriber `i`, with when it arrived here (the waiting-room scenario's measurements). */
export type StatusObserver = (i: number, application: StatusView, atMs: number) => void;

interface GraphQLErrorLike {
  message?: string;
  extensions?: { code?: string };
}

const CONNECT_BATCH = 100;
const ACK_TIMEOUT_MS = 30_000;

/** How many of a pool's subscribers have been told their final status, and how many were refused early. */
interface Tally {
  final: number;
  refused: number;
}

function emptyOutcome(participantId: string): SubscriberOutcome {
  return {
    participantId,
    status: undefined,
    decidedAtMs: undefined,
    toldAtMs: undefined,
    messages: 0,
    refusedBeforeApply: false,
    error: undefined,
  };
}

/** Subscribes to the participant's `applicationStatus` and records what arrives in its outcome. */
function watchStatus(
  client: Client,
  eventId: string,
  outcome: SubscriberOutcome,
  tally: Tally,
  watch: { query: string; observe: ((application: StatusView, atMs: number) => void) | undefined },
): void {
  const refuse = (errors: readonly GraphQLErrorLike[]) => {
    const notApplied = errors.some((e) => e.extensions?.code === 'NOT_FOUND');
    if (notApplied && outcome.messages === 0 && !outcome.refusedBeforeApply) {
      outcome.refusedBeforeApply = true;
      tally.refused++;
    } else {
      outcome.error = describe(errors);
    }
  };
  client.subscribe<StatusPayload>(
    { query: watch.query, variables: { eventId } },
    {
      next: ({ data, errors }) => {
        // A refusal comes as a result with errors (graphql-js runs the subscribe resolver).
        if (errors?.length && !data?.applicationStatus) return refuse(errors);
        outcome.messages++;
        const application = data?.applicationStatus;
        if (application) watch.observe?.(application, Date.now());
        if (!application?.status || outcome.toldAtMs !== undefined) return;
        outcome.status = application.status;
        if (FINAL_STATUSES.has(application.status)) {
          outcome.toldAtMs = Date.now();
          outcome.decidedAtMs = toMs(application.decidedAt);
          tally.final++;
        }
      },
      error: (err) => (Array.isArray(err) ? refuse(err as GraphQLErrorLike[]) : (outcome.error = describe(err))),
      complete: () => undefined,
    },
  );
}

/** Opens the participant's graphql-ws connection at once (not lazily); a failure to connect lands in its outcome. */
function openClient(wsUrl: string, token: string, outcome: SubscriberOutcome): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 3,
    connectionParams: { authorization: `Bearer ${token}` },
    onNonLazyError: (err) => (outcome.error = describe(err)),
  });
}

/** Resolves on the connection's `connection_ack`; rejects after ACK_TIMEOUT_MS. */
function acknowledged(client: Client): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`subscriber connection not acknowledged within ${ACK_TIMEOUT_MS} ms`)),
      ACK_TIMEOUT_MS,
    );
    const off = client.on('connected', () => {
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/**
 * Opens one graphql-ws connection per participant (in batches, so the accept queue copes), waits
 * for every `connection_ack` and subscribes each to `applicationStatus` — all before the herd.
 * This BFF holds such an early subscription open until the application exists; a BFF that only
 * lets a participant watch an application that exists (this one before 2026-11-22) refuses it with
 * NOT_FOUND, and then the subscriber subscribes again as soon as its own apply is answered, as a
 * real client would (`applied(i)`).
 */
export async function startSubscribers(
  wsUrl: string,
  eventId: string,
  participants: { participantId: string; token: string }[],
  signal: AbortSignal,
  { query = STATUS_SUBSCRIPTION, observe }: { query?: string; observe?: StatusObserver } = {},
): Promise<SubscriberPool> {
  const clients: Client[] = [];
  const outcomes: SubscriberOutcome[] = participants.map((p) => emptyOutcome(p.participantId));
  const tally: Tally = { final: 0, refused: 0 };
  const subscribe = (i: number) =>
    watchStatus(clients[i]!, eventId, outcomes[i]!, tally, {
      query,
      observe: observe && ((application, atMs) => observe(i, application, atMs)),
    });

  for (let start = 0; start < participants.length; start += CONNECT_BATCH) {
    if (signal.aborted) throw new Error('timed out while connecting subscribers');
    const batch = participants.slice(start, start + CONNECT_BATCH);
    await Promise.all(
      batch.map(async ({ token }, j) => {
        const i = start + j;
        const client = openClient(wsUrl, token, outcomes[i]!);
        clients[i] = client;
        await acknowledged(client);
        subscribe(i);
      }),
    );
  }

  return {
    outcomes,
    finalCount: () => tally.final,
    refusedCount: () => tally.refused,
    applied(i) {
      const outcome = outcomes[i];
      if (outcome?.refusedBeforeApply && outcome.toldAtMs === undefined && outcome.messages === 0) subscribe(i);
    },
    async dispose() {
      await Promise.all(clients.map((c) => c.dispose()));
    },
  };
}

export function toMs(value: string | number | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (Array.isArray(err))
    return (err as GraphQLErrorLike[]).map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message ?? String(e)}`).join('; ');
  if (err && typeof err === 'object' && 'code' in err) {
    const close = err as { code: number; reason?: string };
    return `socket closed ${close.code}${close.reason ? ` ${close.reason}` : ''}`;
  }
  return String(err);
}
