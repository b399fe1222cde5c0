export { startIssuer, type IssuerApp, type IssuerOverrides, type Startable } from './app';
export { configSchema, loadServiceConfig, type IssuerConfig } from './config';
