import { createLogger, createShutdown } from '@fcfs/kit';
import { startEvent } from './app';
import { loadServiceConfig } from './config';

async function main(): Promise<void> {
  const config = loadServiceConfig();
  const logger = createLogger('event', config.logLevel);
  const app = await startEvent(config, { logger });
  const shutdown = createShutdown(logger);
  shutdown.add('event service', () => app.stop());
  shutdown.trap();
}

main().catch((err: unknown) => {
  process.stderr.write(`event service failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
