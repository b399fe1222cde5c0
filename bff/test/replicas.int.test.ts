// Two BFF replicas on one platform, as behind a load balancer: a page subscribes to its status on
// one replica before its visitor applies, and the apply lands on the other. The waiting
// subscription learns of the application from the event's stream (the gate's admissions), not
// from its 60-second fallback re-read.
import { randomSuffix } from '../../test/support';
import { gql, subscribe, wsClient, type Loose } from '../../test/support/graphql';
import { startTestPlatform, type TestPlatform } from '../../test/support/platform';

let platform: TestPlatform;
const disposers: (() => void)[] = [];

beforeAll(async () => {
  platform = await startTestPlatform({ notifier: false, extraBffs: 1 });
});

afterAll(async () => {
  for (const dispose of disposers.splice(0)) dispose();
  await platform?.stop();
});

it('a subscription waiting on one replica shows the application applied through another, while it is PENDING', async () => {
  const replica = platform.replicas[0];
  if (!replica) throw new Error('no second BFF');
  const [admin, participant] = await platform.mintTokens([platform.adminEmail, `p-${randomSuffix()}@example.com`]);
  if (!admin || !participant) throw new Error('no tokens');
  const created = await gql(
    platform.url,
    'mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }',
    { input: { name: `Drop ${randomSuffix()}`, stock: 5 } },
    admin.token,
  );
  const eventId = created.data?.['createEvent'].id as string;
  expect(
    (await gql(platform.url, 'mutation($id: ID!) { openEvent(eventId: $id) { status } }', { id: eventId }, admin.token)).errors,
  ).toBeUndefined();
  // No issuer: the application stays PENDING, so only the admission can tell the other replica.
  await platform.issuer.stop();

  const client = wsClient(replica.url.replace(/^http/, 'ws'), participant.token);
  disposers.push(() => void client.dispose());
  const watch = subscribe<{ applicationStatus: Loose }>(
    client,
    'subscription($id: ID!) { applicationStatus(eventId: $id) { status position ahead } }',
    { id: eventId },
  );
  disposers.push(watch.dispose);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(watch.values).toEqual([]);

  const applied = await gql(
    platform.url,
    'mutation($id: ID!) { apply(eventId: $id) { outcome } }',
    { id: eventId },
    participant.token,
  );
  expect(applied.data?.['apply']).toEqual({ outcome: 'ACCEPTED' });
  const seen = await watch.until((v) => v.applicationStatus['status'] === 'PENDING', 5_000);
  expect(seen.applicationStatus).toMatchObject({ status: 'PENDING', position: 1 });
  expect(watch.errors).toEqual([]);
});
