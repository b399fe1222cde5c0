// The issuer's decision path on one partition, without the BFF (issue 15): how many applications a
// second one partition's consumer decides (consume, decide in Redis, write to MySQL, commit) when a
// backlog is waiting for it. Everything is private to the run: its own database, a one-partition
// topic, a consumer group and a Redis prefix, all removed afterwards.
//
//   npm run build && node loadtest/dist/decide.js --applications 20000 --stock 1000 [--chunk 1000]
//
// 1. The event service (in this process) admits the applications through ApplyBatch, 5,000 to a call:
//    the gate's Lua and the Kafka produce, as in the herd. Not timed.
// 2. The issuer starts (in this process, no notifier) on the waiting backlog. Timed: from the first
//    decision in MySQL to the last, and from the issuer's start to the last (group join included).
//    `--stock` at least `--applications` makes every record a decision of the issuer's (Lua + gift);
//    a smaller stock is the herd's mix, where the gate already answered SOLD_OUT for most records.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Metadata } from '@grpc/grpc-js';
import {
  callUnary,
  createGrpcClient,
  createLogger,
  deleteKeysByPrefix,
  devServiceCredentials,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
} from '@fcfs/kit';
import { createKafka } from '@fcfs/kit/kafka';
import { createSequelize } from '@fcfs/kit/mysql';
import { createMigrator, ensureDatabase } from '@fcfs/db';
import { loadServiceConfig as loadEventConfig, startEvent } from '@fcfs/event';
import { loadServiceConfig as loadIssuerConfig, startIssuer } from '@fcfs/issuer';
import { EventServiceClient } from '@fcfs/proto';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { QueryTypes } from 'sequelize';

export interface DecideOptions {
  applications: number;
  stock: number;
  chunk: number | undefined;
  mysqlUrl: string;
  redisUrl: string;
  brokers: string[];
}

export interface DecideResult {
  applications: number;
  stock: number;
  chunkSize: number;
  /** From the first decision seen in MySQL to the last (polled every 20 ms): the partition's pace once running. */
  firstToLastDecisionMs: number;
  decisionsPerSecond: number;
  /** From the issuer's start (consumer group join included) to the last decision. */
  startToLastDecisionMs: number;
  /** CPU seconds of this process (the issuer; the event service is idle by then) while deciding. */
  cpuSeconds: number;
  cpuMicrosecondsPerDecision: number;
}

export function parseDecideOptions(argv: string[], env: Record<string, string | undefined> = process.env): DecideOptions {
  const { values } = parseArgs({
    args: argv,
    options: { applications: { type: 'string' }, stock: { type: 'string' }, chunk: { type: 'string' } },
    strict: true,
  });
  const int = (name: string, raw: string | undefined, fallback: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
    return n;
  };
  return {
    applications: int('applications', values.applications, 20_000),
    stock: int('stock', values.stock, 1_000),
    chunk: values.chunk === undefined ? undefined : int('chunk', values.chunk, 1_000),
    mysqlUrl: env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/fcfs',
    redisUrl: env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    brokers: (env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runDecide(options: DecideOptions, say: (line: string) => void = () => undefined): Promise<DecideResult> {
  const suffix = randomBytes(4).toString('hex');
  const logger = createLogger('decide', 'warn');
  const dbName = `fcfs_decide_${suffix}`;
  const dbUrl = new URL(options.mysqlUrl);
  dbUrl.pathname = `/${dbName}`;
  const topic = `decide.applications.${suffix}`;
  const dlq = `${topic}.dlq`;
  const prefix = `decide-${suffix}:`;
  const kafka = createKafka({ clientId: `decide-${suffix}`, brokers: options.brokers }, logger);
  const admin = kafka.admin();
  const redis = new Redis(options.redisUrl);
  await ensureDatabase(dbUrl.toString());
  const sequelize = createSequelize(dbUrl.toString(), logger);
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    await createMigrator(sequelize).up();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: 1, replicationFactor: 1 },
        { topic: dlq, numPartitions: 1, replicationFactor: 1 },
      ],
    });
    cleanups.push(() => admin.deleteTopics({ topics: [topic, dlq] }));

    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'decide', alg: 'EdDSA', use: 'sig' };
    const adminToken = await new SignJWT({ email: 'admin@decide.local', role: 'admin' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'decide' })
      .setSubject('1')
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setExpirationTime('1h')
      .sign(privateKey);
    const env = {
      LOG_LEVEL: 'warn',
      REDIS_URL: options.redisUrl,
      MYSQL_URL: dbUrl.toString(),
      KAFKA_BROKERS: options.brokers.join(','),
      KAFKA_APPLICATIONS_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlq,
      KAFKA_ISSUER_GROUP: `decide-${suffix}`,
      STOCK_REDIS_PREFIX: prefix,
      SES_SEND_BUDGET_KEY: `${prefix}{ses}:send-budget`,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      METRICS_PORT: '0',
      ...(options.chunk === undefined ? {} : { ISSUER_CHUNK_SIZE: String(options.chunk) }),
    };
    const event = await startEvent(loadEventConfig(env), { logger, loadJwks: () => Promise.resolve({ keys: [jwk] }) });
    cleanups.push(() => event.stop());
    const client = createGrpcClient(EventServiceClient, `127.0.0.1:${event.grpcPort}`, devServiceCredentials('bff'));
    cleanups.push(() => Promise.resolve(client.close()));
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${adminToken}`);
    const { event: created } = await callUnary(
      client.createEvent.bind(client),
      { name: 'decide', stock: options.stock },
      { metadata },
    );
    const eventId = created?.id ?? '';
    await callUnary(client.openEvent.bind(client), { eventId }, { metadata });

    say(`admitting ${options.applications} applications (not timed)`);
    for (let from = 0; from < options.applications; from += 5_000) {
      const applications = Array.from({ length: Math.min(5_000, options.applications - from) }, (_, i) => ({
        eventId,
        participantId: String(from + i + 1),
      }));
      const res = await callUnary(client.applyBatch.bind(client), { applications }, { deadlineMs: 60_000 });
      const failed = res.results.filter((r) => r.result?.$case !== 'response').length;
      if (failed > 0) throw new Error(`${failed} applications were refused at the gate`);
    }

    const issuerConfig = loadIssuerConfig(env);
    say(`deciding on one partition (chunk ${issuerConfig.decisions.chunkSize})`);
    const cpuBefore = process.cpuUsage();
    const startedAt = Date.now();
    const issuer = await startIssuer(issuerConfig, { logger, notifier: false });
    cleanups.push(() => issuer.stop());
    const count = async () =>
      Number(
        (
          await sequelize.query<{ n: number }>(
            `SELECT COUNT(*) AS n FROM applications WHERE event_id = ? AND status <> 'PENDING'`,
            { replacements: [eventId], type: QueryTypes.SELECT },
          )
        )[0]?.n ?? 0,
      );
    const deadline = Date.now() + 300_000;
    // Wall clock, polled every 20 ms: decided_at cannot tell, since the gate answers SOLD_OUT itself
    // once the stock is gone and such a record carries the gate's decision time.
    let firstSeenAt: number | undefined;
    for (;;) {
      const decided = await count();
      if (decided > 0) firstSeenAt ??= Date.now();
      if (decided >= options.applications) break;
      if (Date.now() > deadline) throw new Error('not every application was decided within 300 s');
      await sleep(20);
    }
    const doneAt = Date.now();
    const cpu = process.cpuUsage(cpuBefore);
    const firstToLastDecisionMs = Math.max(1, doneAt - (firstSeenAt ?? startedAt));
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return {
      applications: options.applications,
      stock: options.stock,
      chunkSize: issuerConfig.decisions.chunkSize,
      firstToLastDecisionMs,
      decisionsPerSecond: Math.round((options.applications / firstToLastDecisionMs) * 1000),
      startToLastDecisionMs: doneAt - startedAt,
      cpuSeconds,
      cpuMicrosecondsPerDecision: Math.round((cpuSeconds * 1e6) / options.applications),
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await sequelize.query(`DROP DATABASE IF EXISTS \`${dbName}\``).catch(() => undefined);
    await sequelize.close();
    await deleteKeysByPrefix(redis, prefix);
    redis.disconnect();
  }
}

if (require.main === module) {
  runDecide(parseDecideOptions(process.argv.slice(2)), (line) => process.stdout.write(`${line}\n`)).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`decide failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
