export { describeProblems, loadConfig } from './load';
export { env } from './env';
export {
  defineConfig,
  fragment,
  renamed,
  type ConfigOf,
  type EnvShape,
  type Fragment,
  type ParsedEnv,
  type ReadContext,
  type Runtime,
  type SettingsOf,
} from './fragment';
export {
  DEFAULT_PORTS,
  grpcServer,
  kafka,
  metricsServer,
  mysql,
  redis,
  ses,
  stock,
  tracing,
  upstreams,
  type ServiceName,
  type TracingSettings,
} from './shared';
