import { createLogger, runPart } from '@fcfs/kit';
import { startBff } from './app';
import { loadServiceConfig } from './config';
import { isClusterWorker, runPrimary, workerCount } from './workers';

const workers = workerCount();
if (workers > 1 && !isClusterWorker()) {
  // Validate the configuration once here (a bad one exits with every problem printed), then fork.
  const config = loadServiceConfig();
  runPrimary(workers, createLogger('bff', config.logLevel));
} else {
  runPart(
    'bff',
    () => loadServiceConfig(),
    (config, logger) => startBff(config, { logger }),
  );
}
