import type { Logger } from 'pino';

export interface ShutdownStep {
  name: string;
  run: () => Promise<void> | void;
}

export interface Shutdown {
  /** Adds a step; steps run in the order they were added. */
  add(name: string, run: ShutdownStep['run']): void;
  /** Runs every step once, in order; later calls return the same promise. */
  run(reason: string): Promise<void>;
  /** Traps SIGTERM and SIGINT once: run the steps, then exit. */
  trap(): void;
}

/**
 * Graceful, ordered, idempotent shutdown: health NOT_SERVING, stop taking work,
 * drain, commit, close. A step that fails is logged and the next one still runs;
 * the whole sequence is bounded by `timeoutMs`.
 */
export function createShutdown(logger: Logger, { timeoutMs = 25_000 }: { timeoutMs?: number } = {}): Shutdown {
  const steps: ShutdownStep[] = [];
  let running: Promise<void> | undefined;
  let trapped = false;

  const run = (reason: string): Promise<void> => {
    running ??= (async () => {
      logger.info({ reason }, 'shutting down');
      for (const step of steps) {
        const started = Date.now();
        try {
          await step.run();
          logger.info({ step: step.name, ms: Date.now() - started }, 'shutdown step done');
        } catch (err) {
          logger.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
      logger.info('shutdown complete');
    })();
    return running;
  };

  return {
    add(name, fn) {
      steps.push({ name, run: fn });
    },
    run,
    trap() {
      if (trapped) return;
      trapped = true;
      const onSignal = (signal: NodeJS.Signals): void => {
        const timer = setTimeout(() => {
          logger.error({ timeoutMs }, 'shutdown timed out; exiting');
          process.exit(1);
        }, timeoutMs);
        timer.unref();
        run(signal).then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    },
  };
}
