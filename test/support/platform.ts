// The whole platform in-process for a test: auth, event, issuer and the BFF, each on port 0,
// against the real Redis, MariaDB, Kafka and SES emulator, isolated by their own database,
// topics, consumer group and Redis key prefixes. Used by the BFF's end-to-end tests and the
// load test's smoke run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema as authConfigSchema, startAuth, type AuthConfig, type RunningAuth } from '@fcfs/auth';
import { loadServiceConfig as loadEventConfig, startEvent, type RunningEvent } from '@fcfs/event';
import { loadServiceConfig as loadIssuerConfig, startIssuer, type RunningIssuer } from '@fcfs/issuer';
import { configSchema as bffConfigSchema, startBff, type RunningBff } from '@fcfs/bff';
import type { Tracing } from '@fcfs/kit';
import { mintSessionTokens, type MintedToken } from '../../tools/mint-tokens/src';
import { createTestDatabase, createTestTopics, dropRedisKeys, randomSuffix, testLogger, urls, type TestDatabase } from './index';

export interface TestPlatformOptions {
  /** BFF environment overrides, e.g. rate limits. */
  bff?: Record<string, string>;
  auth?: Record<string, string>;
  event?: Record<string, string>;
  issuer?: Record<string, string>;
  /** Send result e-mails (the issuer's notifier); default true. */
  notifier?: boolean;
  /** false: the in-process issuer serves gRPC (and e-mails) only; the test runs its own consuming issuer with `issuerEnv`. */
  consume?: boolean;
  partitions?: number;
  /** More BFF processes beside the first, on the same services (as replicas behind a load balancer). */
  extraBffs?: number;
  /** More event-service processes beside the first (replicas: their gates, sweepers and drawers run too). */
  extraEvents?: number;
  /** Serve the auth service's /metrics too (event and issuer always serve theirs); default false. */
  authMetrics?: boolean;
  /** Each part's tracing (e.g. over one in-memory exporter); default: off. */
  tracing?: (part: 'bff' | 'event' | 'issuer') => Tracing;
}

export interface TestPlatform {
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  /** ws://127.0.0.1:<port>/graphql */
  wsUrl: string;
  /** The address that signs in as admin on this platform. */
  adminEmail: string;
  db: TestDatabase;
  authConfig: AuthConfig;
  auth: RunningAuth;
  event: RunningEvent;
  issuer: RunningIssuer;
  bff: RunningBff;
  /** The extra BFF replicas (`extraBffs`), each with its own URL. */
  replicas: RunningBff[];
  /** The extra event-service replicas (`extraEvents`). */
  eventReplicas: RunningEvent[];
  /** The environment the event service was started with (a test starts another process of it from this). */
  eventEnv: Record<string, string>;
  /** The environment the in-process issuer was started with, for a test's own issuer process. */
  issuerEnv: Record<string, string>;
  /** Session tokens without the e-mail flow (participants are created as needed). */
  mintTokens(emails: string[], ttlSeconds?: number): Promise<MintedToken[]>;
  /**
   * Stops the auth service and starts it again on the same port with `env` over its environment so far (a
   * new configuration rolled out: keys, admins); `auth`, `authConfig` and `mintTokens` follow the new one.
   */
  restartAuth(env: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

interface Isolation {
  /** The environment every part shares: the real components, this platform's database and topics. */
  common: Record<string, string>;
  prefixes: { auth: string; line: string; bff: string };
  group: string;
  keyDir: string;
  adminEmail: string;
}

type Services = Pick<
  TestPlatform,
  'authConfig' | 'auth' | 'event' | 'issuer' | 'bff' | 'replicas' | 'eventReplicas' | 'eventEnv' | 'issuerEnv'
> & {
  /** The environment auth was started with. */
  authEnv: Record<string, string>;
};

/** Auth, then event and issuer, then the BFF and its replicas; each one's stop is pushed onto `stops`. */
async function startServices(
  { common, prefixes, group, keyDir, adminEmail }: Isolation,
  options: TestPlatformOptions,
  stops: (() => Promise<void>)[],
): Promise<Services> {
  const authEnv = {
    ...common,
    AUTH_REDIS_PREFIX: prefixes.auth,
    AUTH_DEV_KEY_FILE: join(keyDir, 'dev-key.json'),
    AUTH_CODE_SECRET: 'platform-test-code-secret',
    AUTH_ADMIN_EMAILS: adminEmail,
    ...options.auth,
  };
  const authConfig = authConfigSchema.parse(authEnv);
  const auth = await startAuth(authConfig, { logger: testLogger('auth'), metrics: options.authMetrics === true });
  stops.push(() => auth.stop());
  const authAddress = `127.0.0.1:${auth.grpcPort}`;

  const lineEnv = {
    ...common,
    AUTH_ADDRESS: authAddress,
    STOCK_REDIS_PREFIX: prefixes.line,
    KAFKA_ISSUER_GROUP: group,
  };
  const tracingOf = (part: 'bff' | 'event' | 'issuer') => (options.tracing ? { tracing: options.tracing(part) } : {});
  const eventEnv = { ...lineEnv, ...options.event };
  const launchEvent = async (): Promise<RunningEvent> => {
    const started = await startEvent(loadEventConfig(eventEnv), { logger: testLogger('event'), ...tracingOf('event') });
    stops.push(() => started.stop());
    return started;
  };
  const event = await launchEvent();
  const eventReplicas: RunningEvent[] = [];
  for (let i = 0; i < (options.extraEvents ?? 0); i++) eventReplicas.push(await launchEvent());
  const issuerEnv = { ...lineEnv, ...options.issuer };
  const issuer = await startIssuer(loadIssuerConfig(issuerEnv), {
    logger: testLogger('issuer'),
    backoffMs: 50,
    maxBackoffMs: 500,
    ...(options.consume === false ? { consume: false } : {}),
    ...(options.notifier === false ? { notifier: false as const } : {}),
    ...tracingOf('issuer'),
  });
  stops.push(() => issuer.stop());

  const launchBff = async (): Promise<RunningBff> => {
    const started = await startBff(
      bffConfigSchema.parse({
        ...common,
        BFF_HOST: '127.0.0.1',
        BFF_PORT: '0',
        AUTH_ADDRESS: authAddress,
        EVENT_ADDRESS: `127.0.0.1:${event.grpcPort}`,
        ISSUER_ADDRESS: `127.0.0.1:${issuer.grpcPort}`,
        BFF_REDIS_PREFIX: prefixes.bff,
        ...options.bff,
      }),
      { logger: testLogger('bff'), ...tracingOf('bff') },
    );
    stops.push(() => started.stop());
    return started;
  };
  const bff = await launchBff();
  const replicas: RunningBff[] = [];
  for (let i = 0; i < (options.extraBffs ?? 0); i++) replicas.push(await launchBff());
  return { authConfig, authEnv, auth, event, issuer, bff, replicas, eventReplicas, eventEnv, issuerEnv };
}

export async function startTestPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const suffix = randomSuffix();
  const db = await createTestDatabase('fcfs_platform');
  const { topic, dlq } = await createTestTopics(options.partitions ?? 3);
  const keyDir = mkdtempSync(join(tmpdir(), 'fcfs-platform-'));
  const adminEmail = `admin-${suffix}@fcfs.test`;
  const prefixes = { auth: `t:auth:${suffix}:`, line: `t:line:${suffix}:`, bff: `t:bff:${suffix}:` };
  const group = `issuer-${suffix}`;
  const common = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    REDIS_URL: urls.redis,
    MYSQL_URL: db.url,
    KAFKA_BROKERS: urls.kafkaBrokers.join(','),
    KAFKA_APPLICATIONS_TOPIC: topic,
    KAFKA_DLQ_TOPIC: dlq,
    SES_ENDPOINT: urls.ses,
    // The emulator has no send rate; this platform's own budget, not the one `npm start` uses.
    SES_SEND_RATE_PER_SECOND: '1000',
    SES_SEND_BUDGET_KEY: `t:ses:${suffix}:{ses}:send-budget`,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
  };

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const { authEnv, ...services } = await startServices({ common, prefixes, group, keyDir, adminEmail }, options, stops);
    let stopped: Promise<void> | undefined;
    const platform: TestPlatform = {
      ...services,
      url: services.bff.url,
      wsUrl: services.bff.url.replace(/^http/, 'ws'),
      adminEmail,
      db,
      mintTokens: (emails, ttlSeconds) => {
        const { authConfig } = platform;
        return mintSessionTokens(
          ttlSeconds === undefined ? authConfig : { ...authConfig, tokens: { ...authConfig.tokens, ttlSeconds } },
          emails,
        );
      },
      async restartAuth(env) {
        await platform.auth.stop();
        Object.assign(authEnv, env, { GRPC_PORT: String(platform.auth.grpcPort) });
        platform.authConfig = authConfigSchema.parse(authEnv);
        platform.auth = await startAuth(platform.authConfig, {
          logger: testLogger('auth'),
          metrics: options.authMetrics === true,
        });
      },
      stop() {
        stopped ??= (async () => {
          await stopAll();
          // A restarted auth (restartAuth) is not among `stops`.
          await platform.auth.stop().catch(() => undefined);
          await dropRedisKeys(Object.values(prefixes)).catch(() => undefined);
          await db.drop().catch(() => undefined);
          rmSync(keyDir, { recursive: true, force: true });
        })();
        return stopped;
      },
    };
    return platform;
  } catch (err) {
    await stopAll();
    await db.drop().catch(() => undefined);
    rmSync(keyDir, { recursive: true, force: true });
    throw err;
  }
}
