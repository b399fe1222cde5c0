// The settings more than one part reads, each declared once. A part's config.ts picks the fragments
// it needs (`defineConfig({ redis, kafka, ... })`); the variable names are the operator's contract.
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  CALLER_GRANTS,
  devTrustedCallers,
  loadOrCreateServiceDevKey,
  parseServicePrivateKey,
  parseTrustedCallers,
  type Caller,
  type Scope,
  type ServiceCredentials,
  type TrustedCallers,
} from '../service-tokens';
import { env } from './env';
import { fragment, renamed, type ReadContext, type SettingsOf } from './fragment';

export type ServiceName = 'auth' | 'event' | 'issuer';

/**
 * Where each service listens unless told otherwise: what `npm start` runs. Below Linux's ephemeral
 * range (32768-60999), where an outgoing connection could hold the port.
 */
export const DEFAULT_PORTS: Readonly<Record<ServiceName, { grpc: number; metrics: number }>> = {
  auth: { grpc: 7051, metrics: 9101 },
  event: { grpc: 7052, metrics: 9102 },
  issuer: { grpc: 7053, metrics: 9103 },
};

const SES_EMULATOR = 'http://127.0.0.1:8005';
/** The shared send budget's Redis key (its own hash tag: one slot on Redis Cluster). */
const SEND_BUDGET_KEY = 'fcfs:{ses}:send-budget';

/**
 * Redis, as the part's own ACL user: `REDIS_USERNAME` / `REDIS_PASSWORD` (or `user:password@` in the URL),
 * required in production; TLS with a `rediss://` URL or `REDIS_TLS=true`, the server's CA in `REDIS_TLS_CA` (PEM).
 */
export const redis = fragment(
  {
    REDIS_URL: z
      .string()
      .default('redis://127.0.0.1:6379')
      .refine((s) => /^rediss?:\/\/[^\s]+$/.test(s) && URL.canParse(s), 'expected a redis:// or rediss:// URL'),
    REDIS_USERNAME: env.optionalString,
    REDIS_PASSWORD: env.optionalString,
    REDIS_TLS: env.bool(false),
    /** The Redis server's CA as PEM, when Node's CAs do not know it. */
    REDIS_TLS_CA: env.optionalString,
  },
  (e, { production, problem }) => {
    const inUrl = URL.canParse(e.REDIS_URL) ? new URL(e.REDIS_URL) : undefined;
    const username = e.REDIS_USERNAME ?? (inUrl?.username ? decodeURIComponent(inUrl.username) : undefined);
    const password = e.REDIS_PASSWORD ?? (inUrl?.password ? decodeURIComponent(inUrl.password) : undefined);
    if (production && (username === undefined || password === undefined)) {
      problem(
        username === undefined ? 'REDIS_USERNAME' : 'REDIS_PASSWORD',
        "required in production: this part's own Redis ACL user and its password (or user:password@ in REDIS_URL)",
      );
    }
    const tls = e.REDIS_TLS || inUrl?.protocol === 'rediss:';
    if (!tls && e.REDIS_TLS_CA !== undefined) problem('REDIS_TLS_CA', 'set only with TLS (a rediss:// URL or REDIS_TLS=true)');
    return { url: e.REDIS_URL, username, password, tls, tlsCa: e.REDIS_TLS_CA };
  },
);

export const mysql = fragment({ MYSQL_URL: env.url('mysql://root@127.0.0.1:3306/fcfs') }, (e) => ({ url: e.MYSQL_URL }));

/** The issuer's consumer group: the issuer joins it, the event service reads its lag. */
const issuerGroup = renamed('KAFKA_ISSUER_GROUP', 'KAFKA_GROUP_ID', z.string().min(1).default('issuer'));

const KAFKA_MECHANISMS = ['none', 'scram-sha-512', 'scram-sha-256', 'plain'] as const;
type SaslOf<M> = M extends 'none' ? never : M extends string ? { mechanism: M; username: string; password: string } : never;
export type KafkaSasl = SaslOf<(typeof KAFKA_MECHANISMS)[number]>;

/**
 * How a part connects to Kafka, in kafkajs' terms (`ssl`, `sasl`): SASL with `KAFKA_SASL_MECHANISM`
 * (SCRAM-SHA-512 in production unless told otherwise: Strimzi's `KafkaUser`s), `KAFKA_SASL_USERNAME` /
 * `KAFKA_SASL_PASSWORD`; TLS with `KAFKA_TLS` (on in production unless told otherwise), the brokers'
 * CA in `KAFKA_TLS_CA` (PEM; Strimzi's cluster CA) or else Node's.
 */
export function kafkaConnection(
  e: {
    KAFKA_SASL_MECHANISM?: (typeof KAFKA_MECHANISMS)[number] | undefined;
    KAFKA_SASL_USERNAME?: string | undefined;
    KAFKA_SASL_PASSWORD?: string | undefined;
    KAFKA_TLS?: 'true' | 'false' | undefined;
    KAFKA_TLS_CA?: string | undefined;
  },
  { production, problem }: Pick<ReadContext, 'production' | 'problem'>,
): { ssl?: true | { ca: string[] }; sasl?: KafkaSasl } {
  const mechanism = e.KAFKA_SASL_MECHANISM ?? (production ? 'scram-sha-512' : 'none');
  const tls = e.KAFKA_TLS === undefined ? production : e.KAFKA_TLS === 'true';
  const out: ReturnType<typeof kafkaConnection> = {};
  if (tls) out.ssl = e.KAFKA_TLS_CA === undefined ? true : { ca: [e.KAFKA_TLS_CA] };
  else if (e.KAFKA_TLS_CA !== undefined) problem('KAFKA_TLS_CA', 'set only with TLS (KAFKA_TLS=true)');
  if (mechanism !== 'none') {
    if (e.KAFKA_SASL_USERNAME === undefined)
      problem('KAFKA_SASL_USERNAME', `required with SASL (${mechanism}): this part's KafkaUser`);
    if (e.KAFKA_SASL_PASSWORD === undefined) problem('KAFKA_SASL_PASSWORD', `required with SASL (${mechanism}): its password`);
    out.sasl = { mechanism, username: e.KAFKA_SASL_USERNAME ?? '', password: e.KAFKA_SASL_PASSWORD ?? '' } as KafkaSasl;
  }
  return out;
}

export const kafka = fragment(
  {
    KAFKA_BROKERS: env.brokers(),
    KAFKA_APPLICATIONS_TOPIC: z.string().min(1).default('applications'),
    KAFKA_DLQ_TOPIC: z.string().min(1).default('applications.dlq'),
    ...issuerGroup.shape,
    KAFKA_SASL_MECHANISM: z.enum(KAFKA_MECHANISMS).optional(),
    KAFKA_SASL_USERNAME: env.optionalString,
    KAFKA_SASL_PASSWORD: env.optionalString,
    KAFKA_TLS: z.enum(['true', 'false']).optional(),
    KAFKA_TLS_CA: env.optionalString,
  },
  (e, context) => ({
    brokers: e.KAFKA_BROKERS,
    applicationsTopic: e.KAFKA_APPLICATIONS_TOPIC,
    dlqTopic: e.KAFKA_DLQ_TOPIC,
    issuerGroup: issuerGroup.read(e, context),
    /** kafkajs' `ssl` and `sasl`: spread into createKafka's options. */
    connection: kafkaConnection(e, context),
  }),
);

/** Prefix of the stock's Redis keys (the shared stock package): the event service and the issuer read this one variable. */
const stockPrefix = renamed('STOCK_REDIS_PREFIX', 'LINE_REDIS_PREFIX', z.string().max(64).default('fcfs:'));

export const stock = fragment(stockPrefix.shape, (e, context) => ({ redisPrefix: stockPrefix.read(e, context) }));

/**
 * SES v2 for the auth service's codes and the issuer's result e-mails. Unset `SES_ENDPOINT`: the local
 * emulator outside production, AWS SES itself in production; empty: AWS SES itself, always. Credentials:
 * both keys or neither (the SDK's credential chain); the emulator takes any, so development gets dummies.
 * `sendBudget` is what `createSendBudget` takes.
 */
export const ses = fragment(
  {
    SES_ENDPOINT: z
      .string()
      .refine((s) => s.trim() === '' || URL.canParse(s.trim()), 'expected a URL, or empty for AWS SES itself')
      .optional(),
    SES_REGION: z.string().min(1).default('eu-west-1'),
    SES_FROM: z.string().email().default('no-reply@fcfs.local'),
    AWS_ACCESS_KEY_ID: env.optionalString,
    AWS_SECRET_ACCESS_KEY: env.optionalString,
    /**
     * The account's maximum send rate (e-mails a second), for the whole platform: every replica of auth
     * and of the issuer's notifier draws on one budget in Redis, codes first. 14 is a new account's.
     */
    SES_SEND_RATE_PER_SECOND: z.coerce.number().positive().default(14),
    /** Where that budget lives: the same for every part of one platform (tests give each platform its own). */
    SES_SEND_BUDGET_KEY: z.string().min(1).max(128).default(SEND_BUDGET_KEY),
  },
  (e, { production, problem }) => {
    const endpoint = e.SES_ENDPOINT === undefined ? (production ? undefined : SES_EMULATOR) : e.SES_ENDPOINT.trim() || undefined;
    const keys = [e.AWS_ACCESS_KEY_ID, e.AWS_SECRET_ACCESS_KEY].filter((k) => k !== undefined).length;
    if (keys === 1) {
      const missing = e.AWS_ACCESS_KEY_ID === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY';
      problem(missing, 'set both AWS keys, or neither for the SDK credential chain');
    }
    const dummy = !production && endpoint !== undefined && keys === 0;
    return {
      endpoint,
      region: e.SES_REGION,
      from: e.SES_FROM,
      accessKeyId: dummy ? 'local' : e.AWS_ACCESS_KEY_ID,
      secretAccessKey: dummy ? 'local' : e.AWS_SECRET_ACCESS_KEY,
      sendBudget: { ratePerSecond: e.SES_SEND_RATE_PER_SECOND, key: e.SES_SEND_BUDGET_KEY },
    };
  },
);

/**
 * OpenTelemetry tracing, off unless `OTEL_EXPORTER_OTLP_ENDPOINT` names a collector (OTLP over HTTP; spans
 * go to `<endpoint>/v1/traces`). `OTEL_TRACES_SAMPLER_ARG` is the share of new traces kept (the standard
 * variables' names; the sampler is always parent-based trace-id ratio).
 */
export const tracing = fragment(
  {
    OTEL_EXPORTER_OTLP_ENDPOINT: z
      .string()
      .refine((s) => s.trim() === '' || URL.canParse(s.trim()), 'expected a URL (the OTLP/HTTP collector), or empty for none')
      .optional(),
    OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(0.01),
  },
  (e) => ({ endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || undefined, sampleRatio: e.OTEL_TRACES_SAMPLER_ARG }),
);

export type TracingSettings = SettingsOf<typeof tracing>;

/** One schema object per variable, so two fragments of one part can share it. */
const GRPC_HOST = env.host('127.0.0.1');
const GRPC_PORT = {
  auth: env.port(DEFAULT_PORTS.auth.grpc),
  event: env.port(DEFAULT_PORTS.event.grpc),
  issuer: env.port(DEFAULT_PORTS.issuer.grpc),
};
const METRICS_PORT = {
  auth: env.port(DEFAULT_PORTS.auth.metrics),
  event: env.port(DEFAULT_PORTS.event.metrics),
  issuer: env.port(DEFAULT_PORTS.issuer.metrics),
};

/** The service's gRPC listener. */
export const grpcServer = (service: ServiceName) =>
  fragment({ GRPC_HOST, GRPC_PORT: GRPC_PORT[service] }, (e) => ({ host: e.GRPC_HOST, port: e.GRPC_PORT }));

/** /metrics, /healthz and /readyz, on the gRPC listener's host. */
export const metricsServer = (service: ServiceName) =>
  fragment({ GRPC_HOST, METRICS_PORT: METRICS_PORT[service] }, (e) => ({ host: e.GRPC_HOST, port: e.METRICS_PORT }));

type AddressVariable<N extends ServiceName> = `${Uppercase<N>}_ADDRESS`;

const ADDRESS = {
  auth: env.address(`127.0.0.1:${DEFAULT_PORTS.auth.grpc}`),
  event: env.address(`127.0.0.1:${DEFAULT_PORTS.event.grpc}`),
  issuer: env.address(`127.0.0.1:${DEFAULT_PORTS.issuer.grpc}`),
};

/** `host:port` of the services a part calls, by service name (`AUTH_ADDRESS`, ...). */
export function upstreams<N extends ServiceName>(...services: N[]) {
  const variable = (service: N) => `${service.toUpperCase()}_ADDRESS` as AddressVariable<N>;
  const shape = Object.fromEntries(services.map((s) => [variable(s), ADDRESS[s]])) as Record<
    AddressVariable<N>,
    (typeof ADDRESS)[N]
  >;
  return fragment(shape, (parsed) => {
    const e = parsed as Record<string, string>;
    return Object.fromEntries(services.map((s) => [s, e[variable(s)]])) as Record<N, string>;
  });
}

/** Where a development machine keeps the service key every local process signs its internal calls with. */
export const DEFAULT_SERVICE_DEV_KEY_FILE = resolve(__dirname, '../../../..', '.infra/service-dev-key.json');
const SERVICE_TOKEN_DEV_KEY_FILE = z.string().min(1).default(DEFAULT_SERVICE_DEV_KEY_FILE);

/** A key parsed from its variable (a parse error becomes a problem naming it); unset is a problem in production only. */
function readKey<T>(
  raw: string | undefined,
  variable: string,
  parse: (raw: string) => T,
  { production, problem }: ReadContext,
  what: string,
): T | undefined {
  if (raw === undefined) {
    if (production) problem(variable, `required in production: ${what}`);
    return undefined;
  }
  try {
    return parse(raw);
  } catch (err) {
    problem(variable, (err as Error).message);
    return undefined;
  }
}

/**
 * The calling side of authenticated internal calls: this part's own Ed25519 private key
 * (`SERVICE_TOKEN_PRIVATE_KEY`, PKCS#8 PEM or private JWK). Required in production; elsewhere the shared
 * development key in `SERVICE_TOKEN_DEV_KEY_FILE`, generated on first use. `serviceCredentials` makes
 * what `createGrpcClient` takes.
 */
export const serviceIdentity = (caller: Caller, scopes: readonly Scope[] = CALLER_GRANTS[caller]) =>
  fragment({ SERVICE_TOKEN_PRIVATE_KEY: env.optionalString, SERVICE_TOKEN_DEV_KEY_FILE }, (e, context) => ({
    caller,
    scopes,
    privateKey: readKey(
      e.SERVICE_TOKEN_PRIVATE_KEY,
      'SERVICE_TOKEN_PRIVATE_KEY',
      parseServicePrivateKey,
      context,
      `the Ed25519 private key (PKCS#8 PEM or JWK) ${caller} signs its internal calls with`,
    ),
    devKeyFile: e.SERVICE_TOKEN_DEV_KEY_FILE,
  }));

export type ServiceIdentitySettings = SettingsOf<ReturnType<typeof serviceIdentity>>;

/** The configured key, or (outside production, where config loading already refused its absence) the development key. */
export function serviceCredentials(settings: ServiceIdentitySettings): ServiceCredentials {
  return {
    caller: settings.caller,
    scopes: settings.scopes,
    privateKey: settings.privateKey ?? loadOrCreateServiceDevKey(settings.devKeyFile),
  };
}

/** A caller with the development key (tests and local tools acting as one part), with its full grants unless narrowed. */
export function devServiceCredentials(
  caller: Caller,
  scopes: readonly Scope[] = CALLER_GRANTS[caller],
  devKeyFile: string = DEFAULT_SERVICE_DEV_KEY_FILE,
): ServiceCredentials {
  return serviceCredentials({ caller, scopes, privateKey: undefined, devKeyFile });
}

/**
 * The serving side: which callers' public keys a service trusts (`SERVICE_TOKEN_PUBLIC_KEYS`, JSON
 * `{"bff": <JWK or PEM>, "ops": [...], ...}`). Required in production; elsewhere every caller with the
 * development key. What each caller may do is CALLER_GRANTS, fixed in code.
 */
export const serviceTrust = fragment(
  { SERVICE_TOKEN_PUBLIC_KEYS: env.optionalString, SERVICE_TOKEN_DEV_KEY_FILE },
  (e, context) => ({
    trusted: readKey(
      e.SERVICE_TOKEN_PUBLIC_KEYS,
      'SERVICE_TOKEN_PUBLIC_KEYS',
      parseTrustedCallers,
      context,
      'the public key of each part allowed to call this service',
    ),
    devKeyFile: e.SERVICE_TOKEN_DEV_KEY_FILE,
  }),
);

export type ServiceTrustSettings = SettingsOf<typeof serviceTrust>;

export function trustedCallers(settings: ServiceTrustSettings): TrustedCallers {
  return settings.trusted ?? devTrustedCallers(loadOrCreateServiceDevKey(settings.devKeyFile));
}
