import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { encodeRequest, ResponseReader, type WireResponse } from './wire';

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

/**
 * Sends exactly `amount` requests over `connections` keep-alive connections, one in flight per
 * connection (the next goes when the previous is answered, as fast as the server answers), and
 * records every response. Connection `c` sends requests c, c + connections, c + 2·connections ...
 * A request that fails in transport (refused, reset, timed out) is counted and the connection is
 * opened again for the next one. Bounded by the abort signal.
 */
export async function hammer(spec: HammerSpec): Promise<HammerResult> {
  const { amount } = spec;
  const target = new URL(spec.url);
  const host = target.host;
  const port = Number(target.port || 80);
  const connections = Math.max(1, Math.min(spec.connections, amount));
  const timeoutMs = spec.requestTimeoutSeconds * 1000;

  const latencies = new Float64Array(amount);
  const arrivals = new Float64Array(amount);
  const errors: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const errorSamples: string[] = [];
  const latenciesByKind: Record<string, number[]> = {};
  const firstLatencies: number[] = [];
  const laterLatencies: number[] = [];
  let completed = 0;
  let failed = 0;
  let lastArrival = 0;
  const countError = (code: string) => (errors[code] = (errors[code] ?? 0) + 1);

  const setupStart = performance.now();
  // Every request is serialised before the clock starts: the timed part only writes and reads.
  const requests: Buffer[] = new Array<Buffer>(amount);
  for (let i = 0; i < amount; i++) {
    const authorization = spec.authorization(i);
    requests[i] = encodeRequest(
      'POST',
      host,
      target.pathname,
      { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      spec.body(i),
    );
  }

  let start = 0;
  let startedAtMs = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let stopped = false;
  const sockets = new Set<Socket>();
  const stop = () => {
    stopped = true;
    for (const socket of sockets) socket.destroy();
    finish();
  };
  const settle = () => {
    if (completed + failed >= amount) finish();
  };

  const record = (i: number, sentAt: number, response: WireResponse, first: boolean) => {
    const now = performance.now();
    const latency = now - sentAt;
    lastArrival = now - start;
    latencies[completed] = latency;
    arrivals[completed] = lastArrival;
    completed++;
    const verdict = classify(response.status, response.body);
    const kind = 'error' in verdict ? verdict.error : verdict.outcome;
    if ('error' in verdict) {
      countError(verdict.error);
      if (errorSamples.length < MAX_SAMPLES) errorSamples.push(`${response.status} ${response.body.slice(0, 300)}`);
    } else {
      outcomes[verdict.outcome] = (outcomes[verdict.outcome] ?? 0) + 1;
    }
    (latenciesByKind[kind] ??= []).push(latency);
    (first ? firstLatencies : laterLatencies).push(latency);
    spec.onAnswer?.(i);
    spec.onResponse?.(completed);
  };

  /** One connection's life: its share of the requests, in order, reconnecting after a transport failure. */
  class Lane {
    private socket: Socket | undefined;
    private reader = new ResponseReader();
    private next: number;
    private inFlight: { i: number; sentAt: number; first: boolean; timer: NodeJS.Timeout } | undefined;
    private onWarm: ((ok: boolean) => void) | undefined;
    private sentAny = false;

    constructor(first: number) {
      this.next = first;
    }

    open(): Promise<void> {
      return new Promise((resolve) => {
        const socket = connect({ host: target.hostname, port, noDelay: true });
        this.socket = socket;
        this.reader = new ResponseReader();
        sockets.add(socket);
        socket.once('connect', () => resolve());
        socket.on('data', (data: Buffer) => this.onData(data));
        socket.on('error', () => undefined);
        socket.once('close', () => {
          sockets.delete(socket);
          resolve();
          if (this.socket === socket) this.onClose();
        });
      });
    }

    /** One warm-up request; true once answered. */
    warm(path: string): Promise<boolean> {
      return new Promise((resolve) => {
        if (this.socket === undefined || this.socket.destroyed) {
          resolve(false);
          return;
        }
        this.onWarm = resolve;
        this.socket.write(encodeRequest('GET', host, path, {}));
      });
    }

    /** The run is over: no timer of this lane may keep the process alive. */
    dispose(): void {
      if (this.inFlight) clearTimeout(this.inFlight.timer);
      this.inFlight = undefined;
      this.drop();
    }

    sendNext(): void {
      if (stopped || this.next >= amount) return;
      const i = this.next;
      this.next += connections;
      if (this.socket === undefined || this.socket.destroyed) {
        void this.open().then(() => this.write(i));
      } else {
        this.write(i);
      }
    }

    private write(i: number): void {
      if (stopped) return;
      const first = !this.sentAny;
      this.sentAny = true;
      const timer = setTimeout(() => this.fail('TIMEOUT'), timeoutMs);
      this.inFlight = { i, sentAt: performance.now(), first, timer };
      this.socket!.write(requests[i]!);
    }

    private onData(data: Buffer): void {
      let responses: WireResponse[];
      try {
        responses = this.reader.feed(data);
      } catch {
        this.fail('PROTOCOL_ERROR');
        return;
      }
      for (const response of responses) this.onResponse(response);
    }

    private onResponse(response: WireResponse): void {
      if (this.onWarm) {
        const done = this.onWarm;
        this.onWarm = undefined;
        done(response.status < 500);
        return;
      }
      const flight = this.inFlight;
      if (flight === undefined) return;
      this.inFlight = undefined;
      clearTimeout(flight.timer);
      record(flight.i, flight.sentAt, response, flight.first);
      if (response.close) this.drop();
      settle();
      this.sendNext();
    }

    private onClose(): void {
      if (this.onWarm) {
        const done = this.onWarm;
        this.onWarm = undefined;
        done(false);
      }
      let last: WireResponse | undefined;
      try {
        last = this.reader.end();
      } catch {
        last = undefined;
      }
      if (last && this.inFlight) {
        this.onResponse(last);
        return;
      }
      if (this.inFlight) this.fail('CONNECTION_ERROR');
    }

    private drop(): void {
      const socket = this.socket;
      this.socket = undefined;
      socket?.destroy();
    }

    private fail(code: string): void {
      const flight = this.inFlight;
      this.drop();
      if (flight === undefined) return;
      this.inFlight = undefined;
      clearTimeout(flight.timer);
      countError(code);
      failed++;
      settle();
      // A refused connection is retried after a pause, not in a tight loop.
      setTimeout(() => this.sendNext(), code === 'CONNECTION_ERROR' ? 100 : 0);
    }
  }

  spec.signal.addEventListener('abort', stop, { once: true });
  const lanes = Array.from({ length: connections }, (_, c) => new Lane(c));
  try {
    let warm = false;
    if (spec.warmPath !== undefined) {
      await Promise.all(lanes.map((lane) => lane.open()));
      const answered = await Promise.all(lanes.map((lane) => lane.warm(spec.warmPath!)));
      warm = answered.every(Boolean);
    }
    const setupMs = performance.now() - setupStart;
    // The clock starts here: the first apply.
    startedAtMs = Date.now();
    start = performance.now();
    for (const lane of lanes) lane.sendNext();
    await finished;
    // Requests that never got an answer (the run was stopped) count against it too.
    const failedInTransport = Object.entries(errors)
      .filter(([code]) => code === 'TIMEOUT' || code === 'CONNECTION_ERROR' || code === 'PROTOCOL_ERROR')
      .reduce((sum, [, n]) => sum + n, 0);
    const unanswered = amount - completed - failedInTransport;
    if (unanswered > 0) errors['UNANSWERED'] = unanswered;
    return {
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
      warm,
      latenciesByPlace: { 'first on its connection': firstLatencies, 'later on its connection': laterLatencies },
    };
  } finally {
    spec.signal.removeEventListener('abort', stop);
    stopped = true;
    for (const lane of lanes) lane.dispose();
    for (const socket of sockets) socket.destroy();
  }
}
