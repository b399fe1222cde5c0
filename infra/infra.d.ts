// Types of infra.js (CommonJS) for TypeScript tests: `import * as infra from '<repo>/infra/infra'`.
import type { Admin } from 'kafkajs';

export type Component = 'kafka' | 'redis' | 'mysql' | 'ses';

export interface InfraConfig {
  kafkaBrokers: string[];
  redisUrl: string;
  mysqlUrl: string;
  sesEndpoint: string;
  applicationsPartitions: number;
}

interface Started {
  started: boolean;
  pid: number | null;
}
export interface UpResult {
  kafka: Started & { brokers: string[]; topics: typeof TOPICS };
  redis: Started & { url: string };
  mysql: Started & { url: string };
  ses: Started & { endpoint: string };
  env: { KAFKA_BROKERS: string; REDIS_URL: string; MYSQL_URL: string; SES_ENDPOINT: string };
}

export interface ComponentStatus {
  name: Component;
  up: boolean;
  where: string;
  /** started by infra.js (and still alive) */
  ours: boolean;
  pid: number | null;
}

/** What a private broker and a private MariaDB have in common. */
export interface PrivateServer {
  port: number;
  dir: string;
  logFile: string;
  /** null while stopped */
  pid: number | null;
  /** start it again on the same dir and port (no-op if running) */
  start(): Promise<void>;
  /** clean shutdown (SIGTERM, SIGKILL after a grace period) */
  stop(): Promise<void>;
  /** hard crash (SIGKILL) */
  kill(): Promise<void>;
}
export interface PrivateKafka extends PrivateServer {
  /** e.g. ['127.0.0.1:41234'] (kafkajs `brokers`; with `sasl`, the super user's PLAINTEXT listener) */
  brokers: string[];
  /** With `sasl`: the SASL_PLAINTEXT (SCRAM-SHA-512) listener, where ACLs apply. */
  saslBrokers?: string[];
}
export interface PrivateMariadb extends PrivateServer {
  /** mysql://root@127.0.0.1:<port>/<database> (root, empty password) */
  url: string;
}

/** Start whatever is missing; idempotent and safe to call from several processes at once. */
export function up(opts?: { quiet?: boolean }): Promise<UpResult>;
/** Only some components: the others are undefined in the answer. */
export function up(opts: { quiet?: boolean; only: Component[] }): Promise<Partial<Omit<UpResult, 'env'>> & Pick<UpResult, 'env'>>;
export function down(opts?: { quiet?: boolean }): Promise<{ stopped: { name: string; pid: number; where: string }[] }>;
export function status(opts?: { quiet?: boolean }): Promise<ComponentStatus[]>;
export function config(): InfraConfig;
export function startPrivateKafka(opts?: {
  port?: number;
  dir?: string;
  host?: string;
  timeoutMs?: number;
  quiet?: boolean;
  config?: Record<string, string | number>;
  /** A SCRAM-SHA-512 listener (saslBrokers) with these users (name -> password) and ACLs enforced. */
  sasl?: { users: Record<string, string> };
}): Promise<PrivateKafka>;
export function stopPrivateKafka(handle: PrivateKafka, opts?: { keepData?: boolean }): Promise<void>;
export interface PrivateRedis extends PrivateServer {
  host: string;
}
export function startPrivateRedis(opts: {
  acl: string[];
  /** PEM files: serve TLS only (on `port`), asking clients for no certificate. */
  tls?: { cert: string; key: string; ca: string };
  port?: number;
  dir?: string;
  timeoutMs?: number;
  quiet?: boolean;
}): Promise<PrivateRedis>;
export function stopPrivateRedis(handle: PrivateRedis, opts?: { keepData?: boolean }): Promise<void>;
export function startPrivateMariadb(opts?: {
  port?: number;
  dir?: string;
  database?: string;
  timeoutMs?: number;
  quiet?: boolean;
}): Promise<PrivateMariadb>;
export function stopPrivateMariadb(handle: PrivateMariadb, opts?: { keepData?: boolean }): Promise<void>;
export interface PrivateRedis extends PrivateServer {
  /** redis://127.0.0.1:<port> */
  url: string;
}
/** A private SES emulator; its store is `${endpoint}/store`. */
export interface PrivateSes {
  endpoint: string;
  port: number;
  dir: string;
  logFile: string;
  pid: number | null;
  stop(): Promise<void>;
}
export function startPrivateRedis(opts?: { port?: number; dir?: string; quiet?: boolean }): Promise<PrivateRedis>;
export function stopPrivateRedis(handle: PrivateRedis, opts?: { keepData?: boolean }): Promise<void>;
export function startPrivateSes(opts?: { dir?: string; quiet?: boolean }): Promise<PrivateSes>;
export function kafkaAnswers(brokers: string[], timeoutMs?: number): Promise<boolean>;
export function waitForLeaders(admin: Admin, topics: string[], timeoutMs?: number): Promise<void>;
export function newKafkaClusterId(): string;
/** The Apache Kafka version of infra/kafka/pom.xml (the local broker's and the Testcontainers image's). */
export function kafkaVersion(): string;
/** An expected failure: the CLI prints only its message (no stack) and exits 1. */
export class InfraError extends Error {}
export const TOPICS: Readonly<{ applications: 'applications'; applicationsDlq: 'applications.dlq' }>;
export const TOPIC_APPLICATIONS: 'applications';
export const TOPIC_APPLICATIONS_DLQ: 'applications.dlq';
export const STATE_DIR: string;
export const LOG_DIR: string;
