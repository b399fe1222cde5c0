import { runPart } from '@fcfs/kit';
import { startIssuer } from './app';
import { loadServiceConfig } from './config';

runPart(
  'issuer',
  () => loadServiceConfig(),
  (config, logger) => startIssuer(config, { logger }),
);
