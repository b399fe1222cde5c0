import type { Runtime } from './config';
import { createLogger, type Logger } from './logger';
import { createShutdown } from './shutdown';

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

/**
 * A part's process (its `main.ts`): read the config (a bad one exits with every problem printed),
 * start the part, and stop it once, in order, on SIGTERM or SIGINT.
 */
export function runPart<C extends Runtime>(
  name: string,
  load: () => C,
  start: (config: C, logger: Logger) => Promise<RunningPart>,
): void {
  const run = async (): Promise<void> => {
    const config = load();
    const logger = createLogger(name, config.logLevel);
    const part = await start(config, logger);
    const shutdown = createShutdown(logger);
    shutdown.add(name, () => part.stop());
    shutdown.trap();
  };
  run().catch((err: unknown) => {
    process.stderr.write(`${name} failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
