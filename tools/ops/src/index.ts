export { run, runCaptured, EXIT } from './run';
export { parseCommand, UsageError, USAGE, type Command } from './args';
export { configSchema, loadOpsConfig, type OpsConfig } from './config';
