import { performance } from 'node:perf_hooks';
import { Lane, Run, type LaneTally } from './hammer-lane';
import { encodeRequest, type WireResponse } from './wire';

/** What one run sends: `amount` POSTs, the i-th with its own header and body. */
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
  /**
   * Open every connection and have it answer one `GET <warmPath>` before the clock starts, as the
   * browsers of people waiting on the event page hold a live keep-alive connection when it opens.
   * Without it the connections are opened as the run starts (a herd of TCP handshakes too).
   */
  warmPath?: string;
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
  /** How long building the requests and opening (and warming) the connections took, before the clock started. */
  setupMs: number;
  /** Whether the connections were open and warm when the clock started. */
  warm: boolean;
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

/** The first GraphQL error's `extensions` (its code, a throttle's `retryAfterSeconds`), if the body has one. */
export function firstErrorExtensions(body: string): { code?: string; retryAfterSeconds?: number } | undefined {
  try {
    const parsed = JSON.parse(body) as { errors?: { extensions?: { code?: string; retryAfterSeconds?: number } }[] };
    return parsed.errors?.[0]?.extensions;
  } catch {
    return undefined;
  }
}

function errorCode(body: string): string | undefined {
  return firstErrorExtensions(body)?.code;
}

/** Every response (and transport failure) of one run, counted and timed as it arrives. */
class Tally implements LaneTally {
  private readonly latencies: Float64Array;
  private readonly arrivals: Float64Array;
  private readonly errors: Record<string, number> = {};
  private readonly outcomes: Record<string, number> = {};
  private readonly errorSamples: string[] = [];
  private readonly latenciesByKind: Record<string, number[]> = {};
  private readonly firstLatencies: number[] = [];
  private readonly laterLatencies: number[] = [];
  private completed = 0;
  private failed = 0;
  private lastArrival = 0;
  /** `performance.now()` when the clock started; arrivals count from here. */
  private start = 0;
  private startedAtMs = 0;

  constructor(
    readonly amount: number,
    private readonly spec: Pick<HammerSpec, 'onAnswer' | 'onResponse'>,
  ) {
    this.latencies = new Float64Array(amount);
    this.arrivals = new Float64Array(amount);
  }

  startClock(): void {
    this.startedAtMs = Date.now();
    this.start = performance.now();
  }

  /** Every request was answered or failed. */
  done(): boolean {
    return this.completed + this.failed >= this.amount;
  }

  countError(code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  /** A request failed in transport. */
  fail(code: string): void {
    this.countError(code);
    this.failed++;
  }

  /** The i-th request, sent at `sentAt`, was answered. */
  record(i: number, sentAt: number, response: WireResponse, first: boolean): void {
    const now = performance.now();
    const latency = now - sentAt;
    this.lastArrival = now - this.start;
    this.latencies[this.completed] = latency;
    this.arrivals[this.completed] = this.lastArrival;
    this.completed++;
    const verdict = classify(response.status, response.body);
    const kind = 'error' in verdict ? verdict.error : verdict.outcome;
    if ('error' in verdict) {
      this.countError(verdict.error);
      if (this.errorSamples.length < MAX_SAMPLES) this.errorSamples.push(`${response.status} ${response.body.slice(0, 300)}`);
    } else {
      this.outcomes[verdict.outcome] = (this.outcomes[verdict.outcome] ?? 0) + 1;
    }
    (this.latenciesByKind[kind] ??= []).push(latency);
    (first ? this.firstLatencies : this.laterLatencies).push(latency);
    this.spec.onAnswer?.(i);
    this.spec.onResponse?.(this.completed);
  }

  /** Requests that never got an answer (the run was stopped) count against it too. */
  countUnanswered(): void {
    const failedInTransport = Object.entries(this.errors)
      .filter(([code]) => code === 'TIMEOUT' || code === 'CONNECTION_ERROR' || code === 'PROTOCOL_ERROR')
      .reduce((sum, [, n]) => sum + n, 0);
    const unanswered = this.amount - this.completed - failedInTransport;
    if (unanswered > 0) this.errors['UNANSWERED'] = unanswered;
  }

  result(setupMs: number, warm: boolean): HammerResult {
    return {
      latencies: this.latencies.subarray(0, this.completed),
      arrivals: this.arrivals.subarray(0, this.completed),
      completed: this.completed,
      startedAtMs: this.startedAtMs,
      durationMs: this.lastArrival,
      errors: this.errors,
      outcomes: this.outcomes,
      errorSamples: this.errorSamples,
      latenciesByKind: this.latenciesByKind,
      setupMs,
      warm,
      latenciesByPlace: { 'first on its connection': this.firstLatencies, 'later on its connection': this.laterLatencies },
    };
  }
}

/** Serialises every request before the clock starts: the timed part only writes and reads. */
function encodeRequests(spec: HammerSpec, target: URL): Buffer[] {
  const requests: Buffer[] = new Array<Buffer>(spec.amount);
  for (let i = 0; i < spec.amount; i++) {
    const authorization = spec.authorization(i);
    requests[i] = encodeRequest(
      'POST',
      target.host,
      target.pathname,
      { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      spec.body(i),
    );
  }
  return requests;
}

/** Opens every lane and has each answer one request; true when all of them did. */
async function warmUp(lanes: Lane[], path: string): Promise<boolean> {
  await Promise.all(lanes.map((lane) => lane.open()));
  const answered = await Promise.all(lanes.map((lane) => lane.warm(path)));
  return answered.every(Boolean);
}

/**
 * Sends exactly `amount` requests over `connections` keep-alive connections, one in flight per
 * connection (the next goes when the previous is answered, as fast as the server answers), and
 * records every response. Connection `c` sends requests c, c + connections, c + 2·connections ...
 * A request that fails in transport (refused, reset, timed out) is counted and the connection is
 * opened again for the next one. Bounded by the abort signal.
 */
export async function hammer(spec: HammerSpec): Promise<HammerResult> {
  const target = new URL(spec.url);
  const connections = Math.max(1, Math.min(spec.connections, spec.amount));
  const tally = new Tally(spec.amount, spec);
  const setupStart = performance.now();
  const requests = encodeRequests(spec, target);
  const endpoint = { hostname: target.hostname, port: Number(target.port || 80), host: target.host };
  const run = new Run(endpoint, requests, connections, spec.requestTimeoutSeconds * 1000, tally);

  spec.signal.addEventListener('abort', run.stop, { once: true });
  const lanes = Array.from({ length: connections }, (_, c) => new Lane(run, c));
  try {
    const warm = spec.warmPath === undefined ? false : await warmUp(lanes, spec.warmPath);
    const setupMs = performance.now() - setupStart;
    // The clock starts here: the first apply.
    tally.startClock();
    for (const lane of lanes) lane.sendNext();
    await run.finished;
    tally.countUnanswered();
    return tally.result(setupMs, warm);
  } finally {
    spec.signal.removeEventListener('abort', run.stop);
    run.stopped = true;
    for (const lane of lanes) lane.dispose();
    for (const socket of run.sockets) socket.destroy();
  }
}
