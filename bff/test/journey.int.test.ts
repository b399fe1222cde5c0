// End to end through real HTTP and WebSocket, against the real services and infrastructure:
// a participant from sign-in to a gift code, a second one who ends SOLD_OUT, and an admin.
import { eventually, randomSuffix } from '../../test/support';
import { codeOf, gql, subscribe, wsClient, type Loose } from '../../test/support/graphql';
import { startTestPlatform, type TestPlatform } from '../../test/support/platform';
import { codeFor } from '../../test/support/session';

const APPLICATION = 'eventId status position ahead appliedAt decidedAt giftCode';
const EVENT = 'id name status stock remaining opensAt closesAt';

let platform: TestPlatform;
const disposers: (() => void)[] = [];

beforeAll(async () => {
  platform = await startTestPlatform({ notifier: false });
});

afterAll(async () => {
  for (const dispose of disposers.splice(0)) dispose();
  await platform?.stop();
});

/** The whole sign-in: send a code, read it from the SES emulator, exchange it for a token. */
async function signIn(email: string): Promise<{ token: string; participant: { id: string; email: string; isAdmin: boolean } }> {
  const sent = await gql(
    platform.url,
    'mutation($email: String!) { sendVerificationCode(email: $email) { ok expiresInSeconds } }',
    { email },
  );
  expect(sent.errors).toBeUndefined();
  expect(sent.data?.['sendVerificationCode']).toEqual({ ok: true, expiresInSeconds: expect.any(Number) });
  const code = await codeFor(email);
  const verified = await gql(
    platform.url,
    'mutation($email: String!, $code: String!) { verifyCode(email: $email, code: $code) { token expiresAt participant { id email isAdmin } } }',
    { email, code },
  );
  expect(verified.errors).toBeUndefined();
  const payload = verified.data?.['verifyCode'];
  expect(new Date(payload.expiresAt).getTime()).toBeGreaterThan(Date.now());
  return payload;
}

async function adminToken(): Promise<string> {
  const [minted] = await platform.mintTokens([platform.adminEmail]);
  if (!minted) throw new Error('no admin token');
  return minted.token;
}

async function createOpenEvent(admin: string, stock: number): Promise<string> {
  const created = await gql(
    platform.url,
    `mutation($input: CreateEventInput!) { createEvent(input: $input) { ${EVENT} } }`,
    { input: { name: `Drop ${randomSuffix()}`, stock } },
    admin,
  );
  expect(created.errors).toBeUndefined();
  const id = created.data?.['createEvent'].id as string;
  const opened = await gql(platform.url, `mutation($id: ID!) { openEvent(eventId: $id) { ${EVENT} } }`, { id }, admin);
  expect(opened.errors).toBeUndefined();
  expect(opened.data?.['openEvent'].status).toBe('OPEN');
  return id;
}

describe('the participant journey', () => {
  it('signs in by e-mail, applies, and watches the application until ISSUED with a gift code; a second participant ends SOLD_OUT', async () => {
    const eventId = await createOpenEvent(await adminToken(), 1);

    const winner = await signIn(`winner-${randomSuffix()}@example.com`);
    expect(winner.participant.isAdmin).toBe(false);
    const me = await gql(platform.url, '{ me { id email isAdmin } }', {}, winner.token);
    expect(me.data?.['me']).toEqual(winner.participant);

    const applied = await gql(
      platform.url,
      `mutation($id: ID!) { apply(eventId: $id) { outcome application { ${APPLICATION} } } }`,
      { id: eventId },
      winner.token,
    );
    expect(applied.errors).toBeUndefined();
    expect(applied.data?.['apply']).toMatchObject({ outcome: 'ACCEPTED', application: { eventId, position: 1 } });

    const client = wsClient(platform.wsUrl, winner.token);
    disposers.push(() => void client.dispose());
    const watch = subscribe<{ applicationStatus: Loose }>(
      client,
      `subscription($id: ID!) { applicationStatus(eventId: $id) { ${APPLICATION} } }`,
      { id: eventId },
    );
    disposers.push(watch.dispose);
    const issued = await watch.until((v) => v.applicationStatus['status'] === 'ISSUED');
    expect(issued.applicationStatus).toMatchObject({ eventId, position: 1, giftCode: expect.any(String), ahead: null });
    expect(new Date(issued.applicationStatus['decidedAt']).getTime()).toBeGreaterThan(0);

    const again = await gql(
      platform.url,
      `mutation($id: ID!) { apply(eventId: $id) { outcome application { status giftCode } } }`,
      { id: eventId },
      winner.token,
    );
    expect(again.data?.['apply']).toMatchObject({ outcome: 'ALREADY_APPLIED', application: { status: 'ISSUED' } });

    // The loser's page subscribes before its visitor applies: the subscription waits, silent, then
    // sends the application as soon as the apply is answered.
    const loser = await signIn(`loser-${randomSuffix()}@example.com`);
    const loserClient = wsClient(platform.wsUrl, loser.token);
    disposers.push(() => void loserClient.dispose());
    const loserWatch = subscribe<{ applicationStatus: Loose }>(
      loserClient,
      `subscription($id: ID!) { applicationStatus(eventId: $id) { ${APPLICATION} } }`,
      { id: eventId },
    );
    disposers.push(loserWatch.dispose);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(loserWatch.values).toEqual([]);
    expect(loserWatch.errors).toEqual([]);
    const lost = await gql(
      platform.url,
      `mutation($id: ID!) { apply(eventId: $id) { outcome application { ${APPLICATION} } } }`,
      { id: eventId },
      loser.token,
    );
    expect(lost.errors).toBeUndefined();
    expect(['SOLD_OUT', 'ACCEPTED']).toContain(lost.data?.['apply'].outcome);
    const soldOut = await loserWatch.until((v) => v.applicationStatus['status'] !== 'PENDING', 10_000);
    expect(soldOut.applicationStatus).toMatchObject({ status: 'SOLD_OUT', giftCode: null });

    const mine = await gql(
      platform.url,
      `query($id: ID!) { myApplication(eventId: $id) { status giftCode } }`,
      { id: eventId },
      winner.token,
    );
    expect(mine.data?.['myApplication']).toEqual({ status: 'ISSUED', giftCode: issued.applicationStatus['giftCode'] });
  });
});

describe('the admin journey', () => {
  it('creates an event, sets its stock, opens it, watches its counters and closes it', async () => {
    const admin = await adminToken();
    const created = await gql(
      platform.url,
      `mutation($input: CreateEventInput!) { createEvent(input: $input) { ${EVENT} } }`,
      { input: { name: 'Admin drop', stock: 3, closesAt: '2099-01-01T00:00:00Z' } },
      admin,
    );
    expect(created.errors).toBeUndefined();
    const event = created.data?.['createEvent'];
    expect(event).toMatchObject({ name: 'Admin drop', stock: 3, closesAt: '2099-01-01T00:00:00.000Z' });

    const stocked = await gql(
      platform.url,
      `mutation($id: ID!) { setStock(eventId: $id, stock: 5) { ${EVENT} } }`,
      { id: event.id },
      admin,
    );
    expect(stocked.errors).toBeUndefined();
    expect(stocked.data?.['setStock']).toMatchObject({ stock: 5 });
    const opened = await gql(platform.url, `mutation($id: ID!) { openEvent(eventId: $id) { status } }`, { id: event.id }, admin);
    expect(opened.data?.['openEvent']).toEqual({ status: 'OPEN' });

    const client = wsClient(platform.wsUrl, admin);
    disposers.push(() => void client.dispose());
    const stats = subscribe<{ eventStats: Record<string, number> }>(
      client,
      'subscription($id: ID!) { eventStats(eventId: $id) { eventId stock remaining admitted pending issued soldOut lag appliesPerSecond } }',
      { id: event.id },
    );
    disposers.push(stats.dispose);
    await stats.until((v) => v.eventStats['stock'] === 5);

    const participants = await platform.mintTokens([1, 2].map((i) => `stats-${i}-${randomSuffix()}@example.com`));
    for (const p of participants) {
      const applied = await gql(
        platform.url,
        'mutation($id: ID!) { apply(eventId: $id) { outcome } }',
        { id: event.id },
        p.token,
      );
      expect(applied.data?.['apply']).toEqual({ outcome: 'ACCEPTED' });
    }
    const counted = await stats.until((v) => v.eventStats['issued'] === 2);
    expect(counted.eventStats).toMatchObject({ admitted: 2, remaining: 3 });

    // This platform runs no notifier: both result e-mails wait in the outbox (written just after the decision).
    const viaQuery = await eventually(async () => {
      const res = await gql(
        platform.url,
        'query($id: ID!) { eventStats(eventId: $id) { issued emailsSent emailsPending emailsFailed } }',
        { id: event.id },
        admin,
      );
      return (res.data?.['eventStats'] as Loose | undefined)?.['emailsPending'] === 2 ? res : undefined;
    });
    expect(viaQuery.data?.['eventStats']).toEqual({ issued: 2, emailsSent: 0, emailsPending: 2, emailsFailed: 0 });

    const closed = await gql(platform.url, `mutation($id: ID!) { closeEvent(eventId: $id) { status } }`, { id: event.id }, admin);
    expect(closed.errors).toBeUndefined();
    expect(closed.data?.['closeEvent']).toEqual({ status: 'CLOSED' });
    const late = await platform.mintTokens([`late-${randomSuffix()}@example.com`]);
    const refused = await gql(
      platform.url,
      'mutation($id: ID!) { apply(eventId: $id) { outcome application { status } } }',
      { id: event.id },
      late[0]?.token,
    );
    expect(refused.data?.['apply']).toEqual({ outcome: 'NOT_OPEN', application: null });

    const listed = await gql(platform.url, '{ events { id status } }');
    expect(listed.data?.['events']).toEqual(expect.arrayContaining([{ id: event.id, status: 'CLOSED' }]));
  });

  const ADMIN_OPERATIONS: [string, string, Record<string, unknown>][] = [
    [
      'createEvent',
      'mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }',
      { input: { name: 'x', stock: 1 } },
    ],
    ['setStock', 'mutation { setStock(eventId: "1", stock: 1) { id } }', {}],
    ['openEvent', 'mutation { openEvent(eventId: "1") { id } }', {}],
    ['closeEvent', 'mutation { closeEvent(eventId: "1") { id } }', {}],
    ['eventStats', 'query { eventStats(eventId: "1") { issued } }', {}],
  ];

  it.each(ADMIN_OPERATIONS)(
    'refuses %s to a participant (FORBIDDEN) and to nobody (UNAUTHENTICATED)',
    async (_name, query, variables) => {
      const [participant] = await platform.mintTokens([`plain-${randomSuffix()}@example.com`]);
      expect(codeOf(await gql(platform.url, query, variables, participant?.token))).toBe('FORBIDDEN');
      expect(codeOf(await gql(platform.url, query, variables))).toBe('UNAUTHENTICATED');
    },
  );

  it('refuses the eventStats subscription to a participant', async () => {
    const [participant] = await platform.mintTokens([`plain-${randomSuffix()}@example.com`]);
    const client = wsClient(platform.wsUrl, participant?.token);
    disposers.push(() => void client.dispose());
    const stats = subscribe(client, 'subscription { eventStats(eventId: "1") { issued } }');
    disposers.push(stats.dispose);
    await eventually(() => (stats.errors.length > 0 ? true : undefined), 10_000, 'an error');
    expect(stats.errors[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  });
});
