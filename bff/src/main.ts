import { createLogger, createShutdown } from '@fcfs/kit';
import { startBff } from './app';
import { loadServiceConfig } from './config';

async function main(): Promise<void> {
  const config = loadServiceConfig();
  const logger = createLogger('bff', config.logLevel);
  const bff = await startBff(config, { logger });
  const shutdown = createShutdown(logger);
  shutdown.add('bff', () => bff.stop());
  shutdown.trap();
}

main().catch((err: unknown) => {
  process.stderr.write(`bff failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
