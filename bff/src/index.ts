export { startBff, type Bff, type BffOverrides } from './app';
export { configSchema, loadServiceConfig, type BffConfig } from './config';
