export { startEvent, type EventOverrides, type RunningEvent } from './app';
export { configSchema, loadServiceConfig, type EventConfig } from './config';
export type { ApplicationsProducer } from './gate/producer';
