// Gifts end to end against the real platform: paging an event's gifts in line order, redeeming a
// code exactly once (also when two redeems race), and the contract's fields of features that do
// not exist yet (waiting rooms: #17) answering what is true without them; claim windows' input checks.
import { bearerMetadata, callUnary, createGrpcClient, devServiceCredentials, GrpcStatus } from '@fcfs/kit';
import { IssuerServiceClient } from '@fcfs/proto';
import { eventually, randomSuffix } from '../../test/support';
import { codeOf, gql, type GraphQLResponse, type Loose } from '../../test/support/graphql';
import { startTestPlatform, type TestPlatform } from '../../test/support/platform';

const GIFT = 'code eventId position issuedAt redeemedAt participant { id email isAdmin }';

let platform: TestPlatform;
let admin: string;
let eventId: string;
let winners: { participantId: string; email: string; token: string }[];

async function redeem(code: string, token = admin): Promise<GraphQLResponse<Loose>> {
  return gql(platform.url, `mutation($code: String!) { redeemGift(code: $code) { ${GIFT} } }`, { code }, token);
}

async function giftPage(first: number, after?: string, token = admin): Promise<GraphQLResponse<Loose>> {
  return gql(
    platform.url,
    `query($id: ID!, $first: Int, $after: String) { gifts(eventId: $id, first: $first, after: $after) { gifts { ${GIFT} } next } }`,
    { id: eventId, first, after },
    token,
  );
}

const STOCK = 3;
let decisionsSeen: Promise<number>;

beforeAll(async () => {
  platform = await startTestPlatform({ notifier: false });
  const [minted] = await platform.mintTokens([platform.adminEmail]);
  admin = minted?.token ?? '';
  const created = await gql(
    platform.url,
    'mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }',
    { input: { name: `Gifts ${randomSuffix()}`, stock: STOCK } },
    admin,
  );
  eventId = created.data?.['createEvent'].id;
  await gql(platform.url, 'mutation($id: ID!) { openEvent(eventId: $id) { id } }', { id: eventId }, admin);
  winners = await platform.mintTokens(Array.from({ length: STOCK }, (_, i) => `gift-${i}-${randomSuffix()}@example.com`));
  // One at a time, so line positions follow this order.
  for (const w of winners) {
    const applied = await gql(platform.url, 'mutation($id: ID!) { apply(eventId: $id) { outcome } }', { id: eventId }, w.token);
    expect(applied.data?.['apply']).toEqual({ outcome: 'ACCEPTED' });
  }
  // The issuer counts decisions per second; watch for them right away, before the counter expires.
  decisionsSeen = eventually(
    async () => {
      const stats = await gql(
        platform.url,
        'query($id: ID!) { eventStats(eventId: $id) { decisionsPerSecond } }',
        { id: eventId },
        admin,
      );
      const rate = stats.data?.['eventStats'].decisionsPerSecond as number;
      return rate > 0 ? rate : undefined;
    },
    15_000,
    'decisionsPerSecond above 0',
  );
  await eventually(
    async () => {
      const stats = await gql(platform.url, 'query($id: ID!) { eventStats(eventId: $id) { issued } }', { id: eventId }, admin);
      return stats.data?.['eventStats'].issued === STOCK ? true : undefined;
    },
    30_000,
    'every gift issued',
  );
});

afterAll(async () => {
  await platform?.stop();
});

describe('gifts', () => {
  it("pages the event's gifts in line order, with their winners", async () => {
    const first = await giftPage(2);
    expect(first.errors).toBeUndefined();
    const page1 = first.data?.['gifts'];
    expect(page1.gifts.map((g: Loose) => g['position'])).toEqual([1, 2]);
    expect(page1.next).toEqual(expect.any(String));
    const second = await giftPage(2, page1.next);
    const page2 = second.data?.['gifts'];
    expect(page2.gifts.map((g: Loose) => g['position'])).toEqual([3]);
    expect(page2.next).toBeNull();
    const all = [...page1.gifts, ...page2.gifts];
    expect(all.map((g: Loose) => g['participant'])).toEqual(
      winners.map((w) => ({ id: w.participantId, email: w.email, isAdmin: false })),
    );
    expect(all.every((g: Loose) => g['eventId'] === eventId && g['redeemedAt'] === null)).toBe(true);
  });

  it("downloads the event's gifts in line order as CSV, for admins only", async () => {
    const csvUrl = (id: string) => `${platform.url.replace(/\/graphql$/, '')}/admin/events/${id}/gifts.csv`;
    const res = await fetch(csvUrl(eventId), { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toContain(`event-${eventId}-gifts.csv`);
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('position,email,code,issuedAt,redeemedAt');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => Number(r[0]))).toEqual([1, 2, 3]);
    expect(rows.map((r) => r[1])).toEqual(winners.map((w) => w.email));
    const page = (await giftPage(10)).data?.['gifts'].gifts as Loose[];
    expect(rows.map((r) => r[2])).toEqual(page.map((g) => g['code']));

    const refused = async (headers: Record<string, string>, id = eventId) => {
      const r = await fetch(csvUrl(id), { headers });
      return { status: r.status, code: ((await r.json()) as GraphQLResponse).errors?.[0]?.extensions?.code };
    };
    expect(await refused({})).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await refused({ authorization: `Bearer ${winners[0]?.token}` })).toEqual({ status: 403, code: 'FORBIDDEN' });
    expect(await refused({ authorization: `Bearer ${admin}` }, 'not-an-id')).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
    expect(await refused({ authorization: `Bearer ${admin}` }, '999999')).toEqual({ status: 404, code: 'NOT_FOUND' });
  });

  it('refuses gifts and redeemGift to a participant (FORBIDDEN), in the BFF and in the issuer', async () => {
    const participant = winners[0]?.token;
    expect(codeOf(await giftPage(10, undefined, participant))).toBe('FORBIDDEN');
    expect(codeOf(await redeem('ANY-CODE', participant))).toBe('FORBIDDEN');
    const issuer = createGrpcClient(IssuerServiceClient, `127.0.0.1:${platform.issuer.grpcPort}`, devServiceCredentials('bff'));
    try {
      await expect(
        callUnary(issuer.redeemGift.bind(issuer), { code: 'ANY-CODE' }, { metadata: bearerMetadata(participant ?? '') }),
      ).rejects.toMatchObject({ code: GrpcStatus.PERMISSION_DENIED });
    } finally {
      issuer.close();
    }
  });

  it('redeems a code once; the second time answers ALREADY_REDEEMED; an unknown code NOT_FOUND', async () => {
    const [gift] = (await giftPage(1)).data?.['gifts'].gifts as Loose[];
    const first = await redeem(gift?.['code']);
    expect(first.errors).toBeUndefined();
    expect(first.data?.['redeemGift']).toMatchObject({ code: gift?.['code'], position: 1, redeemedAt: expect.any(String) });
    const again = await redeem(gift?.['code']);
    expect(codeOf(again)).toBe('ALREADY_REDEEMED');
    expect(codeOf(await redeem('NO-SUCH-CODE'))).toBe('NOT_FOUND');

    const mine = await gql(
      platform.url,
      'query($id: ID!) { myApplication(eventId: $id) { giftCode redeemedAt claimBy estimatedWaitSeconds } }',
      { id: eventId },
      winners[0]?.token,
    );
    expect(mine.data?.['myApplication']).toEqual({
      giftCode: gift?.['code'],
      redeemedAt: first.data?.['redeemGift'].redeemedAt,
      claimBy: null,
      estimatedWaitSeconds: null,
    });
  });

  it('lets exactly one of two concurrent redeems of a code win', async () => {
    const gifts = (await giftPage(10)).data?.['gifts'].gifts as Loose[];
    const code = gifts.find((g) => g['redeemedAt'] === null)?.['code'] as string;
    const answers = await Promise.all([redeem(code), redeem(code)]);
    expect(answers.map(codeOf).sort()).toEqual(['ALREADY_REDEEMED', undefined]);
  });

  it('counts redeemed codes and the decisions per second in the event stats; absent features count 0', async () => {
    await expect(decisionsSeen).resolves.toBeGreaterThan(0);
    const stats = await gql(
      platform.url,
      'query($id: ID!) { eventStats(eventId: $id) { issued redeemed waiting waitlisted offered expired } }',
      { id: eventId },
      admin,
    );
    expect(stats.data?.['eventStats']).toEqual({ issued: STOCK, redeemed: 2, waiting: 0, waitlisted: 0, offered: 0, expired: 0 });
  });
});

describe('waiting rooms and claim windows', () => {
  it.each([
    ['claimWindowSeconds', { claimWindowSeconds: -1 }, 'whole number from 0'],
    ['claimWindowSeconds', { claimWindowSeconds: 86_401 }, 'whole number from 0'],
    ['waitingRoomOpensAt', { waitingRoomOpensAt: '2099-01-03T00:00:00Z', opensAt: '2099-01-02T00:00:00Z' }, 'before opensAt'],
    ['maxOpenOffers', { maxOpenOffers: 5 }, 'needs a claim window'],
    ['maxOpenOffers', { claimWindowSeconds: 30, maxOpenOffers: 0 }, '1 or more'],
  ])('refuses createEvent with a bad %s (BAD_USER_INPUT naming it)', async (field, extra, why) => {
    const refused = await gql(
      platform.url,
      'mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }',
      { input: { name: 'Not yet', stock: 1, ...extra } },
      admin,
    );
    expect(codeOf(refused)).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toContain(field);
    expect(refused.errors?.[0]?.message).toContain(why);
  });

  it('creates an event with claimWindowSeconds 0, and answers the absent features of every event', async () => {
    const created = await gql(
      platform.url,
      'mutation($input: CreateEventInput!) { createEvent(input: $input) { waitingRoomOpensAt claimWindowSeconds maxOpenOffers estimatedDrainSeconds } }',
      { input: { name: 'Plain', stock: 1, claimWindowSeconds: 0 } },
      admin,
    );
    expect(created.errors).toBeUndefined();
    expect(created.data?.['createEvent']).toEqual({
      waitingRoomOpensAt: null,
      claimWindowSeconds: 0,
      maxOpenOffers: null,
      estimatedDrainSeconds: null,
    });
  });

  it.each(['claimGift', 'declineGift'])('answers %s NOT_OFFERED without an open offer, after the usual checks', async (field) => {
    const query = `mutation($id: ID!) { ${field}(eventId: $id) { status } }`;
    expect(codeOf(await gql(platform.url, query, { id: eventId }, winners[1]?.token))).toBe('NOT_OFFERED');
    expect(codeOf(await gql(platform.url, query, { id: eventId }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await gql(platform.url, query, { id: '999999' }, winners[1]?.token))).toBe('NOT_FOUND');
  });
});
