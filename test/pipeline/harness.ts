// Integration harness: the event service and the issuer in-process against real Kafka, Redis and
// MariaDB, each run on its own database, topic, consumer group and Redis key prefix.
import { Metadata } from '@grpc/grpc-js';
import { callUnary, createGrpcClient, devServiceCredentials, TOKEN_AUDIENCE, TOKEN_ISSUER } from '@fcfs/kit';
import { DeadLetter, EventServiceClient, IssuerServiceClient, type ApplyResponse, type Event } from '@fcfs/proto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import {
  createTestDatabase,
  createTestTopics,
  randomSuffix,
  dropRedisKeys,
  eventually,
  testKafka,
  testLogger,
  urls,
  type TestDatabase,
} from '../support';
import { loadServiceConfig, startEvent, type RunningEvent } from '@fcfs/event';
import { startIssuer, loadServiceConfig as loadIssuerConfig, type RunningIssuer, type IssuerOverrides } from '@fcfs/issuer';

export interface Tokens {
  admin: string;
  participant: string;
  loadJwks: () => Promise<{ keys: JWK[] }>;
}

export async function testTokens(): Promise<Tokens> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'test', alg: 'EdDSA', use: 'sig' };
  const sign = (role: string) =>
    new SignJWT({ email: `${role}@fcfs.test`, role })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'test' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject('1')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
  return { admin: await sign('admin'), participant: await sign('participant'), loadJwks: async () => ({ keys: [jwk] }) };
}

export interface PipelineOptions {
  redisUrl?: string;
  brokers?: string[];
  /** An existing database (e.g. on a private MariaDB); default a fresh one on the shared server. */
  database?: TestDatabase;
  /** false: start without the issuer (call startIssuer() later). */
  issuer?: boolean;
  issuerOverrides?: IssuerOverrides;
  /** Run the issuer's real result e-mail notifier (default: none, the tests look at the outbox). */
  notifier?: boolean;
  partitions?: number;
}

export type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

const UNAVAILABLE = 14;

/**
 * Applies `ids` the way the clients do: ApplyBatch calls of `size`, and every item answered UNAVAILABLE (the line
 * full, Kafka away, the line held after a Redis failure) tried again after a short pause until answered.
 * `onAnswer` sees each answer as it comes; resolves once every participant has one.
 */
export async function applyRetrying(
  client: EventServiceClient,
  eventId: string,
  ids: readonly string[],
  onAnswer: (participantId: string, response: ApplyResponse) => void = () => undefined,
  { size = 50, giveUpAfterMs = 50_000 } = {},
): Promise<void> {
  const until = Date.now() + giveUpAfterMs;
  let waiting = [...ids];
  while (waiting.length > 0) {
    if (Date.now() > until) throw new Error(`${waiting.length} applications still unanswered`);
    const retry: string[] = [];
    for (let i = 0; i < waiting.length; i += size) {
      const applications = waiting.slice(i, i + size).map((participantId) => ({ eventId, participantId }));
      const { results } = await callUnary(client.applyBatch.bind(client), { applications }, { deadlineMs: 30_000 }).catch(() => ({
        results: [],
      }));
      applications.forEach(({ participantId }, k) => {
        const r = results[k]?.result;
        if (r?.$case === 'response') onAnswer(participantId, r.value);
        else if (r === undefined || r.value.code === UNAVAILABLE) retry.push(participantId);
        else throw new Error(`apply of ${participantId} failed: ${r.value.message}`);
      });
    }
    waiting = retry;
    if (waiting.length > 0) await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startPipeline(options: PipelineOptions = {}) {
  const brokers = options.brokers ?? urls.kafkaBrokers;
  const db = options.database ?? (await createTestDatabase('fcfs_line'));
  const { topic, dlq } = await createTestTopics(options.partitions ?? 3, brokers);
  const prefix = `t${randomSuffix()}:`;
  const group = `issuer-${randomSuffix()}`;
  const env = {
    LOG_LEVEL: 'silent',
    REDIS_URL: options.redisUrl ?? urls.redis,
    MYSQL_URL: db.url,
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_APPLICATIONS_TOPIC: topic,
    KAFKA_DLQ_TOPIC: dlq,
    KAFKA_ISSUER_GROUP: group,
    SES_ENDPOINT: urls.ses,
    // The emulator has no send rate; this pipeline's own budget, not the platform's.
    SES_SEND_RATE_PER_SECOND: '1000',
    SES_SEND_BUDGET_KEY: `${prefix}{ses}:send-budget`,
    STOCK_REDIS_PREFIX: prefix,
    // Held after a rebuild until the issuer drained the partition; well above a produce on the local broker.
    GATE_REBUILD_HOLD_MS: '1500',
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
  };
  const tokens = await testTokens();
  const event: RunningEvent = await startEvent(loadServiceConfig(env), {
    logger: testLogger('event'),
    loadJwks: tokens.loadJwks,
  });
  const issuerConfig = loadIssuerConfig(env);
  let issuer: RunningIssuer | undefined;
  const startTheIssuer = async (overrides: IssuerOverrides = {}) => {
    issuer = await startIssuer(issuerConfig, {
      logger: testLogger('issuer'),
      ...(options.notifier === true ? {} : { notifier: false as const }),
      backoffMs: 50,
      maxBackoffMs: 500,
      ...options.issuerOverrides,
      ...overrides,
    });
    return issuer;
  };
  if (options.issuer !== false) await startTheIssuer();
  const client = createGrpcClient(EventServiceClient, `127.0.0.1:${event.grpcPort}`, devServiceCredentials('bff'));
  let issuerClient: IssuerServiceClient | undefined;
  const admin = () => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${tokens.admin}`);
    return md;
  };

  return {
    db,
    topic,
    dlq,
    group,
    prefix,
    env,
    tokens,
    event,
    client,
    admin,
    get issuer() {
      return issuer;
    },
    startIssuer: startTheIssuer,
    async stopIssuer() {
      await issuer?.stop();
      issuer = undefined;
      issuerClient?.close();
      issuerClient = undefined;
    },
    issuerClient(): IssuerServiceClient {
      if (issuer === undefined) throw new Error('the issuer is not running');
      issuerClient ??= createGrpcClient(IssuerServiceClient, `127.0.0.1:${issuer.grpcPort}`, devServiceCredentials('bff'));
      return issuerClient;
    },
    async createOpenEvent(stock: number, name = 'Test drop'): Promise<Event> {
      const { event: created } = await callUnary(client.createEvent.bind(client), { name, stock }, { metadata: admin() });
      const { event: opened } = await callUnary(
        client.openEvent.bind(client),
        { eventId: created?.id ?? '' },
        { metadata: admin() },
      );
      if (opened === undefined) throw new Error('no event');
      return opened;
    },
    apply(eventId: string, participantId: string, deadlineMs = 30_000) {
      return callUnary(client.apply.bind(client), { eventId, participantId }, { deadlineMs });
    },
    /** The first `count` dead letters, in offset order. */
    async deadLetters(count: number): Promise<DeadLetter[]> {
      const consumer = testKafka(brokers).consumer({ groupId: `dlq-reader-${randomSuffix()}` });
      const letters: DeadLetter[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [dlq], fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => void letters.push(DeadLetter.decode(message.value ?? Buffer.alloc(0))),
        });
        await eventually(() => (letters.length >= count ? true : undefined), 30_000, `${count} dead letters`);
      } finally {
        await consumer.disconnect();
      }
      return letters.sort((x, y) => Number(x.offset) - Number(y.offset));
    },
    /** How many dead letters the pipeline's dead-letter topic holds (its end offsets). */
    async deadLetterCount(): Promise<number> {
      const admin = testKafka(brokers).admin();
      await admin.connect();
      try {
        const offsets = await admin.fetchTopicOffsets(dlq);
        return offsets.reduce((n, o) => n + Number(o.high), 0);
      } finally {
        await admin.disconnect();
      }
    },
    async count(sql: string, replacements: unknown[] = []): Promise<number> {
      const [rows] = await db.sequelize.query(sql, { replacements });
      return Number((rows as { n: number | string }[])[0]?.n ?? 0);
    },
    async stop() {
      client.close();
      issuerClient?.close();
      await issuer?.stop();
      await event.stop();
      if (options.database === undefined) await db.drop();
      await dropRedisKeys([prefix], env.REDIS_URL).catch(() => undefined);
    },
  };
}
