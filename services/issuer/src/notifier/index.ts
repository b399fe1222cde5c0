export { createNotifier, type Notifier, type NotifierOptions } from './notifier';
export { notifierConfigSchema, notifierSettings, type NotifierConfig } from './config';
