import { createLogger, createShutdown } from '@fcfs/kit';
import { startIssuer } from './app';
import { loadServiceConfig } from './config';

async function main(): Promise<void> {
  const config = loadServiceConfig();
  const logger = createLogger('issuer', config.logLevel);
  const app = await startIssuer(config, { logger });
  const shutdown = createShutdown(logger);
  shutdown.add('issuer', () => app.stop());
  shutdown.trap();
}

main().catch((err: unknown) => {
  process.stderr.write(`issuer failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
