export { createNotifier, type Notifier, type NotifierOptions } from './notifier';
export { defaultSesEndpoint, notifierConfigSchema, sesSettings, type NotifierConfig } from './config';
