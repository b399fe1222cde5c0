import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** What one autocannon run sends: `amount` POSTs, the i-th with its own header and body. */
export interface HammerSpec {
  url: string;
  connections: number;
  amount: number;
  /** The i-th request's `authorization` header (none when undefined). */
  authorization: (i: number) => string | undefined;
  /** The i-th request's JSON body. */
  body: (i: number) => string;
  /** Per-request timeout, seconds. */
  requestTimeoutSeconds: number;
  /** Stops the run when aborted (the global timeout). */
  signal: AbortSignal;
  onResponse?: (done: number) => void;
  /** Called with the request's index once it is answered (a participant's client acting on its answer). */
  onAnswer?: (i: number) => void;
}

export interface HammerResult {
  /** Per response, milliseconds from sending to the full response. */
  latencies: Float64Array;
  /** Per response, milliseconds from the run's start to its arrival. */
  arrivals: Float64Array;
  completed: number;
  /** Wall clock of the start (`Date.now()`), to line up with server timestamps. */
  startedAtMs: number;
  /** From the start to the last response, milliseconds. */
  durationMs: number;
  /** Responses that were not a 200 with data, by code, plus transport errors. */
  errors: Record<string, number>;
  /** GraphQL `apply` outcomes seen (empty for the ceiling). */
  outcomes: Record<string, number>;
  /** Up to a few raw bodies of failed responses, for diagnosis. */
  errorSamples: string[];
  /** Latencies by outcome (or error code): the gate's SOLD_OUT and the line's ACCEPTED take different paths. */
  latenciesByKind: Record<string, number[]>;
  /** How long building the requests and opening the connections took, before the clock started. */
  setupMs: number;
  /** Latencies of each connection's first request (which also waits for the connection) and of the rest. */
  latenciesByPlace: Record<string, number[]>;
}

const OUTCOME = /"outcome":"([A-Z_]+)"/;
const MAX_SAMPLES = 5;

/** Classifies one response body: an error code, or an outcome (or `OK` for any other 200). */
export function classify(status: number, body: string): { error: string } | { outcome: string } {
  if (status !== 200) return { error: errorCode(body) ?? `HTTP_${status}` };
  if (body.includes('"errors"')) return { error: errorCode(body) ?? 'GRAPHQL_ERROR' };
  const match = OUTCOME.exec(body);
  return { outcome: match?.[1] ?? 'OK' };
}

function errorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { errors?: { extensions?: { code?: string } }[] };
    return parsed.errors?.[0]?.extensions?.code;
  } catch {
    return undefined;
  }
}

/**
 * Sends exactly `authorizations.length` requests over `connections` keep-alive connections,
 * as fast as the server answers, and records every response. Bounded by the abort signal.
 */
export function hammer(spec: HammerSpec): Promise<HammerResult> {
  const { amount } = spec;
  const latencies = new Float64Array(amount);
  const arrivals = new Float64Array(amount);
  const errors: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const errorSamples: string[] = [];
  const latenciesByKind: Record<string, number[]> = {};
  let lastKind = 'UNKNOWN';
  let lastWasFirst = false;
  const firstLatencies: number[] = [];
  const laterLatencies: number[] = [];
  let completed = 0;
  let next = 0;
  let lastArrival = 0;
  const countError = (code: string) => (errors[code] = (errors[code] ?? 0) + 1);

  const target = new URL(spec.url);
  // Each request is built before the run (autocannon's setupClient hands every connection its own
  // share of prebuilt requests), so the timed part only sends and reads, as a fleet of real clients would.
  const buildRequest = (i: number, firstOnConnection: boolean): autocannon.Request => {
    const authorization = spec.authorization(i);
    return {
      method: 'POST',
      path: target.pathname,
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: spec.body(i),
      onResponse: (status, body) => {
        const verdict = classify(status, body);
        lastKind = 'error' in verdict ? verdict.error : verdict.outcome;
        lastWasFirst = firstOnConnection;
        spec.onAnswer?.(i);
        if ('error' in verdict) {
          countError(verdict.error);
          if (errorSamples.length < MAX_SAMPLES) errorSamples.push(`${status} ${body.slice(0, 300)}`);
        } else {
          outcomes[verdict.outcome] = (outcomes[verdict.outcome] ?? 0) + 1;
        }
      },
    };
  };
  let startedAtMs = Date.now();
  let start = performance.now();
  let setupMs = 0;
  return new Promise((resolve, reject) => {
    let instance: autocannon.Instance;
    try {
      instance = autocannon(
        {
          url: target.origin,
          connections: Math.min(spec.connections, amount),
          amount,
          timeout: spec.requestTimeoutSeconds,
          // Replaced per connection in setupClient; autocannon builds this one first.
          requests: [{ method: 'POST', path: target.pathname }],
          setupClient: (client) => {
            // autocannon gives each connection exactly `responseMax` requests; their sum is `amount`.
            const share = (client as unknown as { opts: { responseMax: number } }).opts.responseMax;
            const requests: autocannon.Request[] = [];
            for (let k = 0; k < share; k++) requests.push(buildRequest(next++, k === 0));
            client.setRequests(requests);
          },
        },
        (err) => {
          spec.signal.removeEventListener('abort', stop);
          if (err) {
            reject(err);
            return;
          }
          // Requests that never got an answer (the run was stopped) count against it too.
          const failedInTransport = (errors['TIMEOUT'] ?? 0) + (errors['CONNECTION_ERROR'] ?? 0);
          const unanswered = amount - completed - failedInTransport;
          if (unanswered > 0) errors['UNANSWERED'] = unanswered;
          resolve({
            latencies: latencies.subarray(0, completed),
            arrivals: arrivals.subarray(0, completed),
            completed,
            startedAtMs,
            durationMs: lastArrival,
            errors,
            outcomes,
            errorSamples,
            latenciesByKind,
            setupMs,
            latenciesByPlace: { 'first on its connection': firstLatencies, 'later on its connection': laterLatencies },
          });
        },
      );
    } catch (err) {
      reject(err as Error);
      return;
    }
    // The clock starts when every request is built and the connections open: the first apply.
    setupMs = performance.now() - start;
    startedAtMs = Date.now();
    start = performance.now();
    const stop = () => instance.stop();
    spec.signal.addEventListener('abort', stop, { once: true });
    instance.on('response', (_client, _status, _bytes, measured) => {
      if (completed >= amount) return;
      lastArrival = performance.now() - start;
      // autocannon starts a connection's first clock while it is still building the other
      // connections; nothing can be sent before the build ends (`start`), so count from there.
      const responseTime = lastWasFirst ? Math.min(measured, lastArrival) : measured;
      latencies[completed] = responseTime;
      // autocannon calls the request's onResponse, then emits 'response', in the same tick.
      (latenciesByKind[lastKind] ??= []).push(responseTime);
      (lastWasFirst ? firstLatencies : laterLatencies).push(responseTime);
      arrivals[completed] = lastArrival;
      completed++;
      spec.onResponse?.(completed);
    });
    instance.on('reqError', (err: Error) => countError(err.message === 'request timed out' ? 'TIMEOUT' : 'CONNECTION_ERROR'));
  });
}
