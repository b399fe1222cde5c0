import { runPart } from '@fcfs/kit';
import { startBff } from './app';
import { loadServiceConfig } from './config';

runPart(
  'bff',
  () => loadServiceConfig(),
  (config, logger) => startBff(config, { logger }),
);
