export { startBff, type BffOverrides, type RunningBff } from './app';
export { configSchema, loadServiceConfig, type BffConfig } from './config';
