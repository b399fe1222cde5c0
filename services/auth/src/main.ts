import { runPart } from '@fcfs/kit';
import { startAuth } from './app';
import { loadServiceConfig } from './config';

runPart(
  'auth',
  () => loadServiceConfig(),
  (config, logger) => startAuth(config, { logger }),
);
