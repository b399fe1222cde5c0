/**
 * What every part's `startX` returns. Parts add their own fields by extending it; a launcher (npm
 * start, test/support/platform.ts) needs only these.
 */
export interface RunningPart {
  /** `auth`, `event`, `issuer` or `bff`: the name in its logs. */
  readonly name: string;
  /** Whether it can serve now: what its /readyz answers. */
  ready(): Promise<boolean>;
  /** Drains and closes everything it opened; a second call returns the first call's promise. */
  stop(): Promise<void>;
}

/** A gRPC service started by `startAuth`, `startEvent` or `startIssuer`. */
export interface RunningService extends RunningPart {
  /** The port it serves gRPC on (the configured one, or the one the OS chose for port 0). */
  readonly grpcPort: number;
  /** /metrics, /healthz, /readyz; undefined when started without them. */
  readonly metricsPort: number | undefined;
}
