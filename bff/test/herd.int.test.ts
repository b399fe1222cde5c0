// The thundering herd end to end: 2,000 participants apply at once over HTTP to a stock of 50,
// 500 of them watching their application over graphql-ws while the line is decided.
import { eventually, randomSuffix } from '../../test/support';
import { gql, subscribe, wsClient, type Loose, type Subscription } from '../../test/support/graphql';
import { startTestPlatform, type TestPlatform } from '../../test/support/platform';
import type { Client } from 'graphql-ws';

const PARTICIPANTS = 2_000;
const SUBSCRIBERS = 500;
const STOCK = 50;

let platform: TestPlatform;
const clients: Client[] = [];

beforeAll(async () => {
  // Every request comes from 127.0.0.1 here; a per-IP limit would be measuring the test.
  platform = await startTestPlatform({ notifier: false, partitions: 3, bff: { BFF_RATE_LIMIT_IP_PER_MINUTE: '0' } });
});

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await platform?.stop();
});

it(`${PARTICIPANTS} concurrent applies to a stock of ${STOCK}: exactly ${STOCK} ISSUED, and every subscriber gets its final status`, async () => {
  const [admin] = await platform.mintTokens([platform.adminEmail]);
  const created = await gql(
    platform.url,
    `mutation { createEvent(input: { name: "Herd ${randomSuffix()}", stock: ${STOCK} }) { id } }`,
    {},
    admin?.token,
  );
  const eventId = created.data?.['createEvent'].id as string;
  expect(
    (await gql(platform.url, 'mutation($id: ID!) { openEvent(eventId: $id) { status } }', { id: eventId }, admin?.token)).data,
  ).toEqual({
    openEvent: { status: 'OPEN' },
  });

  const participants = await platform.mintTokens(
    Array.from({ length: PARTICIPANTS }, (_, i) => `herd-${i}-${randomSuffix()}@example.com`),
  );
  expect(participants).toHaveLength(PARTICIPANTS);

  const watches: Subscription<{ applicationStatus: Loose }>[] = [];
  const outcomes = await Promise.all(
    participants.map(async (p, i) => {
      const res = await gql(
        platform.url,
        'mutation($id: ID!) { apply(eventId: $id) { outcome application { status position } } }',
        { id: eventId },
        p.token,
      );
      if (res.errors) throw new Error(`apply ${i} failed: ${JSON.stringify(res.errors)}`);
      // The first 500 to be answered watch their application while the line is still being decided.
      if (watches.length < SUBSCRIBERS) {
        const client = wsClient(platform.wsUrl, p.token);
        clients.push(client);
        watches.push(
          subscribe(client, 'subscription($id: ID!) { applicationStatus(eventId: $id) { status position ahead giftCode } }', {
            id: eventId,
          }),
        );
      }
      return res.data?.['apply'].outcome as string;
    }),
  );
  const accepted = outcomes.filter((o) => o === 'ACCEPTED').length;
  expect(outcomes.filter((o) => o !== 'ACCEPTED' && o !== 'SOLD_OUT')).toEqual([]);
  expect(accepted).toBeGreaterThanOrEqual(STOCK);

  const finals = await Promise.all(watches.map((w) => w.until((v) => v.applicationStatus['status'] !== 'PENDING', 90_000)));
  expect(finals).toHaveLength(SUBSCRIBERS);
  for (const f of finals) {
    if (f.applicationStatus['status'] === 'ISSUED') expect(f.applicationStatus['giftCode']).toEqual(expect.any(String));
    else expect(f.applicationStatus).toMatchObject({ status: 'SOLD_OUT', giftCode: null });
  }
  expect(watches.flatMap((w) => w.errors)).toEqual([]);

  const stats = await eventually(
    async () => {
      const res = await gql(
        platform.url,
        'query($id: ID!) { eventStats(eventId: $id) { issued pending remaining } }',
        { id: eventId },
        admin?.token,
      );
      const s = res.data?.['eventStats'];
      return s && s.pending === 0 ? s : undefined;
    },
    60_000,
    'the line to drain',
  );
  expect(stats).toEqual({ issued: STOCK, pending: 0, remaining: 0 });
  const [rows] = await platform.db.sequelize.query('SELECT COUNT(*) AS n FROM gifts WHERE event_id = ?', {
    replacements: [eventId],
  });
  expect(Number((rows as { n: number }[])[0]?.n)).toBe(STOCK);
  const issuedToSubscribers = finals.filter((f) => f.applicationStatus['status'] === 'ISSUED').length;
  expect(issuedToSubscribers).toBeLessThanOrEqual(STOCK);
});
