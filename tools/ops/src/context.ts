import { createGrpcClient, createRedis, serviceCredentials } from '@fcfs/kit';
import { createKafka } from '@fcfs/kit/kafka';
import { createSequelize } from '@fcfs/kit/mysql';
import { IssuerServiceClient } from '@fcfs/proto';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import pino, { type Logger } from 'pino';
import type { Sequelize } from 'sequelize';
import type { OpsConfig } from './config';

/** Where a command writes: its result on `out` (so it can be piped), notes and warnings on `err`. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/**
 * The clients a command needs, each made on first use (`winners` never connects to Kafka), and
 * closed together when the command ends, however it ends.
 */
export interface OpsContext {
  config: OpsConfig;
  logger: Logger;
  sequelize(): Sequelize;
  redis(): Redis;
  kafka(): Kafka;
  issuer(): IssuerServiceClient;
  close(): Promise<void>;
}

export function createContext(config: OpsConfig): OpsContext {
  // stderr: stdout carries the command's result (a CSV export, say), and a log line must not end up in it.
  const logger = pino({ name: 'ops', level: config.logLevel, base: { service: 'ops' } }, pino.destination(2));
  let sequelize: Sequelize | undefined;
  let redis: Redis | undefined;
  let kafka: Kafka | undefined;
  let issuer: IssuerServiceClient | undefined;
  return {
    config,
    logger,
    sequelize: () => (sequelize ??= createSequelize(config.mysql.url, logger)),
    // One try per command: an operator wants "Redis is down" now, not after the services' reconnect loop.
    redis: () => (redis ??= createRedis(config.redis, logger, { maxRetriesPerRequest: 1, retryStrategy: () => null })),
    kafka: () => (kafka ??= createKafka({ clientId: 'ops', brokers: config.kafka.brokers, ...config.kafka.connection }, logger)),
    issuer: () =>
      (issuer ??= createGrpcClient(IssuerServiceClient, config.upstream.issuer, serviceCredentials(config.serviceIdentity))),
    async close() {
      issuer?.close();
      redis?.disconnect();
      await sequelize?.close();
    },
  };
}
