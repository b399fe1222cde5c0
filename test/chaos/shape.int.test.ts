// The test platform at production shape (`startTestPlatform({ replicas })`, as `npm start -- --replicas`):
// two of each part, the BFFs behind one round-robin front, the issuers one consumer group. A small
// herd applies through the front over fresh connections, with a subscriber watching over WebSocket,
// and the line ends as with one of each.
import { AssignerProtocol } from 'kafkajs';
import { eventually, randomSuffix, testKafka, urls } from '../support';
import { gql, subscribe, wsClient, type Loose } from '../support/graphql';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform({ notifier: false, partitions: 4, replicas: { auth: 2, event: 2, issuer: 2, bff: 2 } });
}, 120_000);
afterAll(() => platform?.stop());

it('serves a herd through the front over every replica, and decides it with both issuers in one group', async () => {
  expect(platform.shape.event).toHaveLength(2);
  expect(platform.shape.issuer).toHaveLength(2);
  const [admin, ...people] = await platform.mintTokens([
    platform.adminEmail,
    ...Array.from({ length: 12 }, (_, i) => `p${i}-${randomSuffix()}@shape.test`),
  ]);
  const created = await gql(
    platform.url,
    'mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }',
    { input: { name: `Shape ${randomSuffix()}`, stock: 5 } },
    admin!.token,
  );
  const eventId = created.data?.['createEvent'].id as string;
  await gql(platform.url, 'mutation($id: ID!) { openEvent(eventId: $id) { status } }', { id: eventId }, admin!.token);

  const watcher = wsClient(platform.wsUrl, people[0]!.token);
  const applies = await Promise.all(
    people.map((p) =>
      gql<Loose>(platform.url, 'mutation($id: ID!) { apply(eventId: $id) { outcome } }', { id: eventId }, p.token, {
        connection: 'close',
      }),
    ),
  );
  expect(applies.map((a) => a.errors)).toEqual(people.map(() => undefined));
  const status = subscribe<Loose>(watcher, 'subscription($id: ID!) { applicationStatus(eventId: $id) { status } }', {
    id: eventId,
  });
  await status.until((v) => ['ISSUED', 'SOLD_OUT'].includes(v['applicationStatus'].status as string), 60_000);
  status.dispose();
  await watcher.dispose();

  // Both BFF replicas took connections through the one front.
  expect(platform.front?.served().every((n) => n > 0)).toBe(true);
  // Both issuers are members of the one group, each owning partitions.
  const admin_ = testKafka(urls.kafkaBrokers).admin();
  await admin_.connect();
  try {
    const { groups } = await admin_.describeGroups([platform.group]);
    const owned = (groups[0]?.members ?? []).map(
      (m) => Object.values(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {}).flat().length,
    );
    expect(owned).toHaveLength(2);
    expect(owned.every((n) => n > 0)).toBe(true);
  } finally {
    await admin_.disconnect();
  }
  // Every applicant decided, the stock exactly.
  const stats = await eventually(async () => {
    const read = await gql<Loose>(
      platform.url,
      'query($id: ID!) { eventStats(eventId: $id) { issued pending soldOut } }',
      { id: eventId },
      admin!.token,
    );
    const counters = read.data?.['eventStats'] as Loose | undefined;
    return counters && counters['pending'] === 0 ? counters : undefined;
  }, 60_000);
  expect(stats).toEqual({ issued: 5, pending: 0, soldOut: 7 });
}, 90_000);
