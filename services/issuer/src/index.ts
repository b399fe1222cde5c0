export { startIssuer, type IssuerOverrides, type RunningIssuer, type Startable } from './app';
export { configSchema, loadServiceConfig, type IssuerConfig } from './config';
export { createNotifier, notifierConfigSchema, type Notifier } from './notifier';
