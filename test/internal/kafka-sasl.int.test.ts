// The event service and the issuer on a Kafka that authenticates (SCRAM-SHA-512) and authorizes
// (StandardAuthorizer, nothing without an ACL): a private broker started for this test, each service
// signing in as its own user with the settings of packages/kit/src/config/shared.ts (KAFKA_SASL_*), and
// each user holding exactly the ACLs deploy/k8s/base/kafka-users.yaml gives it, read from that file. The
// line works end to end (apply, produce, consume, decide, the lag in the stats); a client without
// credentials or with a wrong password is refused; each user is refused what its ACLs do not grant.
// Not covered: TLS to the brokers (the listener here is SASL_PLAINTEXT; TLS is the kafkajs `ssl` option,
// see the config unit test).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { callUnary, createGrpcClient, devServiceCredentials, bearerMetadata } from '@fcfs/kit';
import { loadServiceConfig as loadEventConfig, startEvent, type RunningEvent } from '@fcfs/event';
import { loadServiceConfig as loadIssuerConfig, startIssuer, type RunningIssuer } from '@fcfs/issuer';
import { ApplicationStatus, EventServiceClient, IssuerServiceClient } from '@fcfs/proto';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
  type AclEntry,
} from 'kafkajs';
import { parseAllDocuments } from 'yaml';
import { startPrivateKafka, stopPrivateKafka, type PrivateKafka } from '../../infra/infra';
import { testTokens, type Tokens } from '../pipeline/harness';
import { createTestDatabase, dropRedisKeys, eventually, randomSuffix, testLogger, urls, type TestDatabase } from '../support';

jest.setTimeout(180_000);

const USERS_FILE = join(__dirname, '../../deploy/k8s/base/kafka-users.yaml');
const users = ['fcfs-event', 'fcfs-issuer'] as const;
const passwords = Object.fromEntries(users.map((u) => [u, randomBytes(12).toString('hex')])) as Record<
  (typeof users)[number],
  string
>;

/** Strimzi's simple-authorization ACLs of one KafkaUser, as kafkajs ACL entries for its principal. */
function aclsOf(user: string): AclEntry[] {
  const object = parseAllDocuments(readFileSync(USERS_FILE, 'utf8'))
    .map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: any }) // eslint-disable-line @typescript-eslint/no-explicit-any
    .find((o) => o?.kind === 'KafkaUser' && o.metadata.name === user);
  if (!object) throw new Error(`no KafkaUser ${user} in ${USERS_FILE}`);
  const resourceTypes = { topic: AclResourceTypes.TOPIC, group: AclResourceTypes.GROUP, cluster: AclResourceTypes.CLUSTER };
  const operations: Record<string, AclOperationTypes> = {
    Read: AclOperationTypes.READ,
    Write: AclOperationTypes.WRITE,
    Describe: AclOperationTypes.DESCRIBE,
    IdempotentWrite: AclOperationTypes.IDEMPOTENT_WRITE,
  };
  return object.spec.authorization.acls.flatMap(
    (acl: { resource: { type: keyof typeof resourceTypes; name?: string }; operations: string[] }) =>
      acl.operations.map((operation) => {
        const op = operations[operation];
        if (op === undefined) throw new Error(`${user}: operation ${operation} is not mapped`);
        return {
          resourceType: resourceTypes[acl.resource.type],
          resourceName: acl.resource.type === 'cluster' ? 'kafka-cluster' : acl.resource.name!,
          resourcePatternType: ResourcePatternTypes.LITERAL,
          principal: `User:${user}`,
          host: '*',
          operation: op,
          permissionType: AclPermissionTypes.ALLOW,
        };
      }),
  );
}

let broker: PrivateKafka;
let db: TestDatabase;
let tokens: Tokens;
let event: RunningEvent;
let issuer: RunningIssuer;
const prefix = `t${randomSuffix()}:`;
const closers: (() => unknown)[] = [];

const client = (user: string | undefined, password?: string) =>
  new Kafka({
    clientId: `sasl-test-${randomSuffix()}`,
    brokers: broker.saslBrokers!,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 3_000,
    ...(user === undefined
      ? {}
      : { sasl: { mechanism: 'scram-sha-512', username: user, password: password ?? passwords[user as 'fcfs-event'] } }),
  });

beforeAll(async () => {
  broker = await startPrivateKafka({ quiet: true, sasl: { users: passwords } });
  // The super user (PLAINTEXT listener) creates what the operators would: the topics and the users' ACLs.
  const admin = new Kafka({ clientId: 'sasl-test-admin', brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'applications', numPartitions: 3, replicationFactor: 1 },
      { topic: 'applications.dlq', numPartitions: 1, replicationFactor: 1 },
    ],
  });
  await admin.createAcls({ acl: users.flatMap(aclsOf) });
  await admin.disconnect();

  db = await createTestDatabase('fcfs_sasl');
  tokens = await testTokens();
  const env = (user: (typeof users)[number]) => ({
    LOG_LEVEL: 'silent',
    REDIS_URL: urls.redis,
    MYSQL_URL: db.url,
    KAFKA_BROKERS: broker.saslBrokers!.join(','),
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: user,
    KAFKA_SASL_PASSWORD: passwords[user],
    STOCK_REDIS_PREFIX: prefix,
    SES_ENDPOINT: urls.ses,
    SES_SEND_BUDGET_KEY: `${prefix}{ses}:send-budget`,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
  });
  event = await startEvent(loadEventConfig(env('fcfs-event')), { logger: testLogger('event'), loadJwks: tokens.loadJwks });
  issuer = await startIssuer(loadIssuerConfig(env('fcfs-issuer')), {
    logger: testLogger('issuer'),
    notifier: false,
    backoffMs: 50,
    maxBackoffMs: 500,
  });
}, 240_000);

afterAll(async () => {
  for (const close of closers.splice(0)) await close();
  await issuer?.stop();
  await event?.stop();
  await db?.drop();
  await dropRedisKeys([prefix]).catch(() => undefined);
  if (broker) await stopPrivateKafka(broker);
});

it('runs the line with each service signed in as its own KafkaUser, on the ACLs of the manifests', async () => {
  const credentials = devServiceCredentials('bff');
  const events = createGrpcClient(EventServiceClient, `127.0.0.1:${event.grpcPort}`, credentials);
  const gifts = createGrpcClient(IssuerServiceClient, `127.0.0.1:${issuer.grpcPort}`, credentials);
  closers.push(
    () => events.close(),
    () => gifts.close(),
  );
  const admin = { metadata: bearerMetadata(tokens.admin) };
  const { event: created } = await callUnary(events.createEvent.bind(events), { name: 'SASL drop', stock: 1 }, admin);
  const eventId = created!.id;
  await callUnary(events.openEvent.bind(events), { eventId }, { metadata: bearerMetadata(tokens.admin) });

  const participants = ['1000001', '1000002'];
  for (const participantId of participants) {
    const answer = await callUnary(events.apply.bind(events), { eventId, participantId }, { deadlineMs: 30_000 });
    expect(answer.application?.participantId).toBe(participantId);
  }
  // The issuer consumed both (its group, its topic) and decided them.
  const statuses = await eventually(
    async () => {
      const decided = await Promise.all(
        participants.map(
          async (participantId) => (await callUnary(gifts.getDecision.bind(gifts), { eventId, participantId })).decision?.status,
        ),
      );
      return decided.every((s) => s !== undefined && s !== ApplicationStatus.APPLICATION_STATUS_PENDING) ? decided : undefined;
    },
    60_000,
    'both decisions',
  );
  expect(statuses.sort()).toEqual(
    [ApplicationStatus.APPLICATION_STATUS_ISSUED, ApplicationStatus.APPLICATION_STATUS_SOLD_OUT].sort(),
  );
  // The event service read the issuer group's offsets (its Describe on the group) for the lag.
  const { stats } = await callUnary(events.getEventStats.bind(events), { eventId }, { metadata: bearerMetadata(tokens.admin) });
  expect(stats?.lag).toBe(0);
});

it('refuses a client without credentials, or with a wrong password', async () => {
  const anonymous = client(undefined).admin();
  await expect(anonymous.connect().then(() => anonymous.listTopics())).rejects.toThrow();
  await anonymous.disconnect().catch(() => undefined);
  const wrong = client('fcfs-event', 'guessed').admin();
  await expect(wrong.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/);
});

it('refuses each user what its ACLs do not grant: the event service consuming, the issuer producing applications', async () => {
  const eventAsConsumer = client('fcfs-event').consumer({ groupId: 'issuer', retry: { retries: 0 } });
  closers.push(() => eventAsConsumer.disconnect().catch(() => undefined));
  // A consumer fails in the background (the group join is refused): its crash event carries the error.
  const crashed = new Promise<Error>((resolve) =>
    eventAsConsumer.on(eventAsConsumer.events.CRASH, ({ payload }) => resolve(payload.error)),
  );
  await eventAsConsumer.connect();
  await eventAsConsumer.subscribe({ topics: ['applications'], fromBeginning: true });
  await eventAsConsumer.run({ eachMessage: async () => undefined }).catch((err: Error) => err);
  expect((await crashed).message).toMatch(/authoriz/i);

  const issuerAsProducer = client('fcfs-issuer').producer({ retry: { retries: 0 } });
  closers.push(() => issuerAsProducer.disconnect().catch(() => undefined));
  await issuerAsProducer.connect();
  await expect(issuerAsProducer.send({ topic: 'applications', messages: [{ value: 'forged' }] })).rejects.toThrow(/authoriz/i);
});
