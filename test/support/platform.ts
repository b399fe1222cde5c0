// The whole platform in-process for a test: auth, event, issuer and the BFF, each on port 0,
// against the real Redis, MariaDB, Kafka and SES emulator, isolated by their own database,
// topics, consumer group and Redis key prefixes. Used by the BFF's end-to-end tests and the
// load test's smoke run. `replicas` gives it production shape, as `npm start -- --replicas` does:
// several of each part, the gRPC clients balancing over all of a callee's replicas, the issuers one
// consumer group, the BFFs behind one port (infra/lib/front.js).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema as authConfigSchema, startAuth, type AuthConfig, type RunningAuth } from '@fcfs/auth';
import { loadServiceConfig as loadEventConfig, startEvent, type RunningEvent } from '@fcfs/event';
import { loadServiceConfig as loadIssuerConfig, startIssuer, type RunningIssuer } from '@fcfs/issuer';
import { configSchema as bffConfigSchema, startBff, type RunningBff } from '@fcfs/bff';
import { devServiceCredentials, type Caller, type Tracing } from '@fcfs/kit';
import { startFront, type Front } from '../../infra/lib/front';
import { mintSessionTokens, type MintedToken } from '../../tools/mint-tokens/src';
import { createTestDatabase, createTestTopics, dropRedisKeys, randomSuffix, testLogger, urls, type TestDatabase } from './index';

/**
 * What a part run with NODE_ENV=production must be given that development fills in: its service key
 * (the development key every local process trusts, as PEM) and a Redis user (`default`, which accepts
 * any password on the shared Redis that has no ACLs).
 */
export function productionCredentials(caller: Caller): Record<string, string> {
  return {
    SERVICE_TOKEN_PRIVATE_KEY: devServiceCredentials(caller).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    REDIS_USERNAME: 'default',
    REDIS_PASSWORD: 'any-password-on-a-redis-without-acls',
  };
}

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
  /** More BFF processes beside the first, on the same services, each on its own URL. */
  extraBffs?: number;
  /**
   * Production shape: instances of each part (default 1 each). With several BFFs, `url` is a round-robin
   * front over them (as a Service); the services' addresses list every replica (a static `ipv4:` target).
   */
  replicas?: Partial<Record<'auth' | 'event' | 'issuer' | 'bff', number>>;
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
  /** Every instance of each part (`replicas`); the first is `auth`, `event`, `issuer`, `bff`. */
  shape: { auth: RunningAuth[]; event: RunningEvent[]; issuer: RunningIssuer[]; bff: RunningBff[] };
  /** The front over the BFFs when there are several (`url` is its). */
  front?: Front;
  /** The issuers' consumer group. */
  group: string;
  /** The event services beside the first (`extraEvents`, or `replicas.event` beyond one). */
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
  'authConfig' | 'auth' | 'event' | 'issuer' | 'bff' | 'replicas' | 'shape' | 'eventReplicas' | 'eventEnv' | 'issuerEnv'
> & {
  /** The environment auth was started with. */
  authEnv: Record<string, string>;
};

/** `count` instances, started one after another (each pushes its own stop). */
async function several<T>(count: number, start: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(await start());
  return out;
}

/** A gRPC target over every instance: one address, or grpc-js's static list (balanced round-robin). */
const targetOf = (ports: number[]) =>
  ports.length === 1 ? `127.0.0.1:${ports[0]}` : `ipv4:${ports.map((p) => `127.0.0.1:${p}`).join(',')}`;

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
  const count = (part: 'auth' | 'event' | 'issuer' | 'bff') => options.replicas?.[part] ?? 1;
  const auths = await several(count('auth'), async () => {
    const auth = await startAuth(authConfig, { logger: testLogger('auth'), metrics: options.authMetrics === true });
    stops.push(() => auth.stop());
    return auth;
  });
  const authAddress = targetOf(auths.map((a) => a.grpcPort));

  const lineEnv = {
    ...common,
    AUTH_ADDRESS: authAddress,
    STOCK_REDIS_PREFIX: prefixes.line,
    KAFKA_ISSUER_GROUP: group,
  };
  const tracingOf = (part: 'bff' | 'event' | 'issuer') => (options.tracing ? { tracing: options.tracing(part) } : {});
  const eventEnv = { ...lineEnv, ...options.event };
  const events = await several(count('event') + (options.extraEvents ?? 0), async () => {
    const event = await startEvent(loadEventConfig(eventEnv), { logger: testLogger('event'), ...tracingOf('event') });
    stops.push(() => event.stop());
    return event;
  });
  const issuerEnv = { ...lineEnv, ...options.issuer };
  const issuers = await several(count('issuer'), async () => {
    const issuer = await startIssuer(loadIssuerConfig(issuerEnv), {
      logger: testLogger('issuer'),
      backoffMs: 50,
      maxBackoffMs: 500,
      ...(options.consume === false ? { consume: false } : {}),
      ...(options.notifier === false ? { notifier: false as const } : {}),
      ...tracingOf('issuer'),
    });
    stops.push(() => issuer.stop());
    return issuer;
  });

  const launchBff = async (): Promise<RunningBff> => {
    const started = await startBff(
      bffConfigSchema.parse({
        ...common,
        BFF_HOST: '127.0.0.1',
        BFF_PORT: '0',
        AUTH_ADDRESS: authAddress,
        EVENT_ADDRESS: targetOf(events.map((e) => e.grpcPort)),
        ISSUER_ADDRESS: targetOf(issuers.map((i) => i.grpcPort)),
        BFF_REDIS_PREFIX: prefixes.bff,
        ...options.bff,
      }),
      { logger: testLogger('bff'), ...tracingOf('bff') },
    );
    stops.push(() => started.stop());
    return started;
  };
  const bffs = await several(count('bff'), launchBff);
  const replicas = await several(options.extraBffs ?? 0, launchBff);
  const [auth, event, issuer, bff] = [auths[0], events[0], issuers[0], bffs[0]] as [
    RunningAuth,
    RunningEvent,
    RunningIssuer,
    RunningBff,
  ];
  return {
    authConfig,
    authEnv,
    auth,
    event,
    issuer,
    bff,
    replicas,
    shape: { auth: auths, event: events, issuer: issuers, bff: bffs },
    eventReplicas: events.slice(1),
    eventEnv,
    issuerEnv,
  };
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
    const { bff } = services;
    let front: Front | undefined;
    if (services.shape.bff.length > 1) {
      const started = await startFront({
        host: '127.0.0.1',
        port: 0,
        backends: services.shape.bff.map((b) => ({ host: '127.0.0.1', port: b.httpPort })),
      });
      stops.push(() => started.close());
      front = started;
    }
    const url = front ? `http://127.0.0.1:${front.port}/graphql` : bff.url;
    let stopped: Promise<void> | undefined;
    const platform: TestPlatform = {
      ...services,
      ...(front ? { front } : {}),
      group,
      url,
      wsUrl: url.replace(/^http/, 'ws'),
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
