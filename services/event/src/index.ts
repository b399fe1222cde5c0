export { startEvent, type EventApp, type EventOverrides } from './app';
export { configSchema, loadServiceConfig, type EventConfig } from './config';
