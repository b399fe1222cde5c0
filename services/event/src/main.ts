import { runPart } from '@fcfs/kit';
import { startEvent } from './app';
import { loadServiceConfig } from './config';

runPart(
  'event',
  () => loadServiceConfig(),
  (config, logger) => startEvent(config, { logger }),
);
