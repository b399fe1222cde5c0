import { createLogger, createShutdown } from '@fcfs/kit';
import { startAuth } from './app';
import { loadServiceConfig } from './config';

async function main(): Promise<void> {
  const config = loadServiceConfig();
  const logger = createLogger('auth', config.logLevel);
  const auth = await startAuth(config, { logger });
  const shutdown = createShutdown(logger);
  shutdown.add('auth', () => auth.stop());
  shutdown.trap();
}

main().catch((err: unknown) => {
  process.stderr.write(`auth failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
