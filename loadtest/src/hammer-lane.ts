import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { encodeRequest, ResponseReader, type WireResponse } from './wire';

/** What the lanes report to: the run's count of answers and transport failures. */
export interface LaneTally {
  readonly amount: number;
  /** Every request was answered or failed. */
  done(): boolean;
  /** The i-th request, sent at `sentAt`, was answered. */
  record(i: number, sentAt: number, response: WireResponse, first: boolean): void;
  /** A request failed in transport. */
  fail(code: string): void;
}

/** What every lane of one run shares: where and what to send, the tally, and whether the run is over. */
export class Run {
  stopped = false;
  readonly sockets = new Set<Socket>();
  readonly finished: Promise<void>;
  private finish: () => void = () => undefined;

  constructor(
    readonly target: { hostname: string; port: number; host: string },
    /** Every request, serialised. */
    readonly requests: Buffer[],
    readonly connections: number,
    readonly timeoutMs: number,
    readonly tally: LaneTally,
  ) {
    this.finished = new Promise<void>((resolve) => (this.finish = resolve));
  }

  /** The abort signal fired: drop every connection and end the run as it is. */
  readonly stop = (): void => {
    this.stopped = true;
    for (const socket of this.sockets) socket.destroy();
    this.finish();
  };

  /** Ends the run once every request was answered or failed. */
  settle(): void {
    if (this.tally.done()) this.finish();
  }
}

/** One connection's life: its share of the requests, in order, reconnecting after a transport failure. */
export class Lane {
  private socket: Socket | undefined;
  private reader = new ResponseReader();
  private next: number;
  private inFlight: { i: number; sentAt: number; first: boolean; timer: NodeJS.Timeout } | undefined;
  private onWarm: ((ok: boolean) => void) | undefined;
  private sentAny = false;

  constructor(
    private readonly run: Run,
    first: number,
  ) {
    this.next = first;
  }

  open(): Promise<void> {
    return new Promise((resolve) => {
      const socket = connect({ host: this.run.target.hostname, port: this.run.target.port, noDelay: true });
      this.socket = socket;
      this.reader = new ResponseReader();
      this.run.sockets.add(socket);
      socket.once('connect', () => resolve());
      socket.on('data', (data: Buffer) => this.onData(data));
      socket.on('error', () => undefined);
      socket.once('close', () => {
        this.run.sockets.delete(socket);
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
      this.socket.write(encodeRequest('GET', this.run.target.host, path, {}));
    });
  }

  /** The run is over: no timer of this lane may keep the process alive. */
  dispose(): void {
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = undefined;
    this.drop();
  }

  sendNext(): void {
    if (this.run.stopped || this.next >= this.run.tally.amount) return;
    const i = this.next;
    this.next += this.run.connections;
    if (this.socket === undefined || this.socket.destroyed) {
      void this.open().then(() => this.write(i));
    } else {
      this.write(i);
    }
  }

  private write(i: number): void {
    if (this.run.stopped) return;
    const first = !this.sentAny;
    this.sentAny = true;
    const timer = setTimeout(() => this.fail('TIMEOUT'), this.run.timeoutMs);
    this.inFlight = { i, sentAt: performance.now(), first, timer };
    this.socket!.write(this.run.requests[i]!);
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
    this.run.tally.record(flight.i, flight.sentAt, response, flight.first);
    if (response.close) this.drop();
    this.run.settle();
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
    this.run.tally.fail(code);
    this.run.settle();
    // A refused connection is retried after a pause, not in a tight loop.
    setTimeout(() => this.sendNext(), code === 'CONNECTION_ERROR' ? 100 : 0);
  }
}
