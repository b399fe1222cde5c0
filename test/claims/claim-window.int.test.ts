// Claim windows (#17) end to end on the real platform: offers in position order, the waitlist, claim,
// decline and expiry passing the item down the line, maxOpenOffers, the final SOLD_OUT, e-mails exactly
// once per transition, and every transition reaching applicationStatus subscribers.
import { claimEventsKey, defineStockScripts, eventKeys } from '@fcfs/stock';
import { Redis } from 'ioredis';
import { eventually, urls } from '../support';
import { codeOf, gql, subscribe, wsClient, type Loose } from '../support/graphql';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import {
  act,
  APPLICATION,
  applyInOrder,
  authorityCounters,
  createClaimEvent,
  mysqlCounts,
  mysqlCountsReach,
  statusOf,
  subjectsTo,
  type Participant,
} from './helpers';

jest.setTimeout(120_000);

/** Five participants in line order. */
type Five = [Participant, Participant, Participant, Participant, Participant];

let platform: TestPlatform;
let admin: string;

beforeAll(async () => {
  platform = await startTestPlatform({ partitions: 1 });
  admin = (await platform.mintTokens([platform.adminEmail]))[0]?.token ?? '';
});
afterAll(() => platform?.stop());

/** One call on a Redis connection of the test's own. */
async function withRedis<T>(use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(urls.redis);
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

const waitFor = (eventId: string, p: Participant, status: string, timeoutMs = 20_000) =>
  eventually(
    async () => {
      const app = await statusOf(platform, eventId, p);
      return app?.['status'] === status ? app : undefined;
    },
    timeoutMs,
    `${p.email} ${status}`,
  );

describe('an event with a claim window', () => {
  it('offers in position order, waitlists the rest, and passes declined and expired items down the line', async () => {
    const WINDOW = 4;
    const eventId = await createClaimEvent(platform, admin, { stock: 2, claimWindowSeconds: WINDOW });
    const [p1, p2, p3, p4, p5] = (await applyInOrder(platform, eventId, 5, 'line')) as Five;

    // Subscribers of p3 (passes through WAITLISTED, OFFERED, EXPIRED) and p4 (WAITLISTED, OFFERED, ISSUED).
    const client = wsClient(platform.wsUrl, p3.token);
    const client4 = wsClient(platform.wsUrl, p4.token);
    const sub3 = subscribe<Loose>(client, `subscription($id: ID!) { applicationStatus(eventId: $id) { ${APPLICATION} } }`, {
      id: eventId,
    });
    const sub4 = subscribe<Loose>(client4, `subscription($id: ID!) { applicationStatus(eventId: $id) { ${APPLICATION} } }`, {
      id: eventId,
    });
    try {
      const o1 = await waitFor(eventId, p1, 'OFFERED');
      await waitFor(eventId, p2, 'OFFERED');
      for (const p of [p3, p4, p5]) await waitFor(eventId, p, 'WAITLISTED');
      expect(o1['giftCode']).toBeNull(); // the code is held back until claimed
      const claimBy = Date.parse(o1['claimBy'] as string);
      expect(claimBy - Date.parse(o1['decidedAt'] as string)).toBe(WINDOW * 1000);

      // p1 claims: ISSUED with its code.
      const claimed = await act(platform, eventId, p1, 'claimGift');
      expect(claimed.errors).toBeUndefined();
      expect(claimed.data?.['claimGift']).toMatchObject({ status: 'ISSUED', position: 1, claimBy: null });
      expect(claimed.data?.['claimGift'].giftCode).toMatch(/\S+/);
      // A second claim, or a decline after it, finds no open offer.
      expect(codeOf(await act(platform, eventId, p1, 'claimGift'))).toBe('NOT_OFFERED');
      expect(codeOf(await act(platform, eventId, p1, 'declineGift'))).toBe('NOT_OFFERED');
      // Someone waitlisted has no offer either.
      expect(codeOf(await act(platform, eventId, p5, 'claimGift'))).toBe('NOT_OFFERED');

      // p2 declines: EXPIRED, and the item goes to the earliest waitlisted (p3), not p4 or p5.
      const declined = await act(platform, eventId, p2, 'declineGift');
      expect(declined.data?.['declineGift']).toMatchObject({ status: 'EXPIRED', giftCode: null });
      const o3 = await waitFor(eventId, p3, 'OFFERED');
      expect((await statusOf(platform, eventId, p4))['status']).toBe('WAITLISTED');

      // p3 never claims: EXPIRED within a second of its claimBy, and p4 is offered.
      const by3 = Date.parse(o3['claimBy'] as string);
      const expired3 = await sub3.until((v) => v['applicationStatus'].status === 'EXPIRED', 15_000);
      const seenAt = Date.now();
      expect(seenAt).toBeGreaterThanOrEqual(by3);
      expect(seenAt - by3).toBeLessThan(1_000 + 250); // the poll, the decision and the delivery
      expect(Date.parse(expired3['applicationStatus'].decidedAt as string) - by3).toBeLessThan(1_000);
      await waitFor(eventId, p4, 'OFFERED');

      // While p4's offer is open: ISSUED + OFFERED <= stock, in MySQL too.
      const during = await mysqlCounts(platform, eventId);
      expect((during['ISSUED'] ?? 0) + (during['OFFERED'] ?? 0)).toBeLessThanOrEqual(2);
      expect(during['WAITLISTED']).toBe(1);

      // p4 claims the last item: every item ISSUED, so p5 is SOLD_OUT.
      expect((await act(platform, eventId, p4, 'claimGift')).data?.['claimGift'].status).toBe('ISSUED');
      await waitFor(eventId, p5, 'SOLD_OUT');
      const final = { ISSUED: 2, EXPIRED: 2, SOLD_OUT: 1 };
      expect(await mysqlCountsReach(platform, eventId, final)).toEqual(final);

      // Every transition reached the subscribers, in order.
      const seen3 = sub3.values.map((v) => v['applicationStatus'].status as string);
      expect(seen3.filter((s, i) => s !== seen3[i - 1])).toEqual(['WAITLISTED', 'OFFERED', 'EXPIRED']);
      await sub4.until((v) => v['applicationStatus'].status === 'ISSUED');
      const seen4 = sub4.values.map((v) => v['applicationStatus'].status as string);
      expect(seen4.filter((s, i) => s !== seen4[i - 1])).toEqual(['WAITLISTED', 'OFFERED', 'ISSUED']);

      // One e-mail per offer and one for the final state, exactly once each (the outbox).
      const expected: [Participant, number][] = [
        [p1, 2],
        [p2, 2],
        [p3, 2],
        [p4, 2],
        [p5, 1],
      ];
      await eventually(
        async () => {
          const counts = await Promise.all(expected.map(([p]) => subjectsTo(p)));
          return counts.every((c, i) => c.length >= (expected[i]?.[1] ?? 0)) ? true : undefined;
        },
        30_000,
        'the e-mails',
      );
      await new Promise((r) => setTimeout(r, 1_500)); // nothing more arrives
      const subjects = await Promise.all(expected.map(([p]) => subjectsTo(p)));
      expect(subjects.map((s) => s.length)).toEqual(expected.map(([, n]) => n));
      expect(subjects[0]?.some((s) => s.startsWith('A gift is waiting for you'))).toBe(true);
      expect(subjects[0]?.some((s) => s.startsWith('Your gift code'))).toBe(true);
      expect(subjects[2]?.some((s) => s.startsWith('Your offer for'))).toBe(true);
    } finally {
      sub3.dispose();
      sub4.dispose();
      await client.dispose();
      await client4.dispose();
    }
  });

  it('tells a WAITLISTED participant when an item could reach it, never sooner than the offers ahead of it could end', async () => {
    const WINDOW = 8;
    const eventId = await createClaimEvent(platform, admin, { stock: 2, claimWindowSeconds: WINDOW });
    const [p1, p2, p3, p4, p5] = (await applyInOrder(platform, eventId, 5, 'estimate')) as Five;
    const client = wsClient(platform.wsUrl, p3.token);
    const sub3 = subscribe<Loose>(
      client,
      'subscription($id: ID!) { applicationStatus(eventId: $id) { status estimatedWaitSeconds } }',
      { id: eventId },
    );
    try {
      const by1 = Date.parse((await waitFor(eventId, p1, 'OFFERED'))['claimBy'] as string);
      const by2 = Date.parse((await waitFor(eventId, p2, 'OFFERED'))['claimBy'] as string);
      for (const p of [p3, p4, p5]) await waitFor(eventId, p, 'WAITLISTED');
      // Nothing has passed down yet: each waits at least for the offers ahead of it to run out. p3 for the first,
      // p4 for the second, p5 (two before it, two offers open) for a second round of the first.
      const estimates = async () => {
        const before = Date.now();
        const read = await Promise.all(
          [p3, p4, p5].map(async (p) => {
            const res = await gql(
              platform.url,
              'query($id: ID!) { myApplication(eventId: $id) { status estimatedWaitSeconds } }',
              { id: eventId },
              p.token,
            );
            return res.data?.['myApplication']['estimatedWaitSeconds'] as number | null;
          }),
        );
        return { before, after: Date.now(), read };
      };
      const { before, after, read } = await estimates();
      const within = (estimate: number | null, soonestMs: number) => {
        expect(estimate).toBeGreaterThanOrEqual(Math.ceil((soonestMs - after) / 1000));
        expect(estimate).toBeLessThanOrEqual(Math.ceil((soonestMs - before) / 1000));
      };
      within(read[0] ?? null, by1);
      within(read[1] ?? null, by2);
      within(read[2] ?? null, by1 + WINDOW * 1000);
      // The subscriber heard an estimate with its WAITLISTED (the issuer's decision carries none: the BFF reads it).
      const heard = await sub3.until(
        (v) => v['applicationStatus'].status === 'WAITLISTED' && v['applicationStatus'].estimatedWaitSeconds !== null,
      );
      expect(heard['applicationStatus'].estimatedWaitSeconds).toBeLessThanOrEqual(WINDOW);
    } finally {
      sub3.dispose();
      await client.dispose();
    }
  });

  it('keeps at most maxOpenOffers offers open, and offers the next in line when one is claimed', async () => {
    const eventId = await createClaimEvent(platform, admin, { stock: 3, claimWindowSeconds: 30, maxOpenOffers: 1 });
    const [p1, p2, p3, p4] = (await applyInOrder(platform, eventId, 4, 'cap')) as [
      Participant,
      Participant,
      Participant,
      Participant,
    ];
    await waitFor(eventId, p1, 'OFFERED');
    for (const p of [p2, p3, p4]) await waitFor(eventId, p, 'WAITLISTED');
    expect((await act(platform, eventId, p1, 'claimGift')).data?.['claimGift'].status).toBe('ISSUED');
    await waitFor(eventId, p2, 'OFFERED');
    expect((await statusOf(platform, eventId, p3))['status']).toBe('WAITLISTED');
    const stats = await eventually(async () => {
      const res = await gql(
        platform.url,
        'query($id: ID!) { eventStats(eventId: $id) { issued offered waitlisted expired } }',
        { id: eventId },
        admin,
      );
      const s = res.data?.['eventStats'] as Loose | undefined;
      return s?.['offered'] === 1 ? s : undefined;
    });
    expect(stats).toEqual({ issued: 1, offered: 1, waitlisted: 2, expired: 0 });

    // The stock cannot go below what is taken: one issued and one offered (an open offer holds its item).
    const setStock = (stock: number) =>
      gql(
        platform.url,
        'mutation($id: ID!, $stock: Int!) { setStock(eventId: $id, stock: $stock) { stock } }',
        { id: eventId, stock },
        admin,
      );
    const refused = await setStock(1);
    expect(codeOf(refused)).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toContain('stock cannot go below the 2 already issued or offered (1 issued, 1 offered)');
    expect((await setStock(2)).data?.['setStock']).toEqual({ stock: 2 });
  });

  it('decides a claim racing its deadline exactly one way', async () => {
    const N = 6;
    const eventId = await createClaimEvent(platform, admin, { stock: N, claimWindowSeconds: 1 });
    const people = await applyInOrder(platform, eventId, N, 'race');
    const offers = await Promise.all(people.map((p) => waitFor(eventId, p, 'OFFERED')));
    // Each claims around its own deadline: some just before, some just after.
    const answers = await Promise.all(
      people.map(async (p, i) => {
        const by = Date.parse(offers[i]?.['claimBy'] as string);
        const at = by + (i - N / 2) * 15;
        await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
        return act(platform, eventId, p, 'claimGift');
      }),
    );
    for (const [i, p] of people.entries()) {
      const answer = answers[i];
      const final = await eventually(async () => {
        const app = await statusOf(platform, eventId, p);
        return app?.['status'] === 'OFFERED' ? undefined : app;
      });
      if (answer?.data?.['claimGift']) {
        expect(answer.data['claimGift'].status).toBe('ISSUED');
        expect(final['status']).toBe('ISSUED');
      } else {
        expect(codeOf(answer ?? { status: 0 })).toBe('NOT_OFFERED');
        expect(final['status']).toBe('EXPIRED');
      }
    }
    // The answers come from Redis; the issuer's MySQL write of each follows it.
    const counts = await mysqlCountsReach(platform, eventId, (c) => (c['ISSUED'] ?? 0) + (c['EXPIRED'] ?? 0) === N);
    expect((counts['ISSUED'] ?? 0) + (counts['EXPIRED'] ?? 0)).toBe(N);
  });

  it("never offers beyond MySQL's stock when a stale Redis believes in more, and counts a claim as issued in MySQL", async () => {
    const eventId = await createClaimEvent(platform, admin, { stock: 2, claimWindowSeconds: 30 });
    const prefix = platform.issuerEnv['STOCK_REDIS_PREFIX'] ?? '';
    // A Redis gone back in time that believes in more stock than MySQL holds (its counts agree with MySQL's).
    await withRedis((redis) => redis.hset(eventKeys(prefix, eventId).state, 'stock', 10));
    const [p1, p2, p3, p4] = (await applyInOrder(platform, eventId, 4, 'auth')) as [
      Participant,
      Participant,
      Participant,
      Participant,
    ];
    // The issuer's write refuses issued + offered beyond MySQL's stock, rebuilds Redis from MySQL and decides again.
    await waitFor(eventId, p2, 'OFFERED');
    for (const p of [p3, p4]) await waitFor(eventId, p, 'WAITLISTED');
    expect((await statusOf(platform, eventId, p1))['status']).toBe('OFFERED');
    expect(await mysqlCountsReach(platform, eventId, { OFFERED: 2, WAITLISTED: 2 })).toEqual({ OFFERED: 2, WAITLISTED: 2 });
    expect(await authorityCounters(platform, eventId)).toEqual({ issued: 0, offered: 2, decided_through: 4 });
    // A claim moves one from offered to issued in MySQL's counters too.
    expect((await act(platform, eventId, p1, 'claimGift')).data?.['claimGift'].status).toBe('ISSUED');
    await eventually(
      async () => {
        const c = await authorityCounters(platform, eventId);
        return c.issued === 1 && c.offered === 1 ? true : undefined;
      },
      10_000,
      "the claim in MySQL's counters",
    );
  });

  it('offers the room of an admission undone ahead of the waitlist, with no other operation to pass it down', async () => {
    const eventId = await createClaimEvent(platform, admin, { stock: 2, claimWindowSeconds: 60 });
    const prefix = platform.issuerEnv['STOCK_REDIS_PREFIX'] ?? '';
    const keys = eventKeys(prefix, eventId);
    const [p1] = (await applyInOrder(platform, eventId, 1, 'undone')) as [Participant];
    await waitFor(eventId, p1, 'OFFERED');
    // An admission at position 2 whose produce then fails (the gate's own scripts, as its batch runs them).
    const ghost = '987654321';
    await withRedis(async (redis) => {
      const seq = Number(await redis.hget(keys.state, 'seq'));
      const admitted = await defineStockScripts(redis).admit(keys, Date.now(), { seq, through: seq }, [ghost]);
      expect(admitted.kind === 'admitted' && admitted.admissions[0]?.entry.startsWith('P|2|')).toBe(true);
    });
    // p3 comes after it: waitlisted, since the ghost's record may still come and take the second item.
    const [p3] = (await applyInOrder(platform, eventId, 1, 'undone-later')) as [Participant];
    await waitFor(eventId, p3, 'WAITLISTED');
    // The produce failed: the admission is undone. No apply, claim or expiry follows; the deadline poller passes
    // the freed room down.
    await withRedis(async (redis) =>
      expect(await defineStockScripts(redis).undo(keys, [{ participantId: ghost, position: 2 }])).toBe(1),
    );
    await waitFor(eventId, p3, 'OFFERED', 5_000);
    expect(await mysqlCountsReach(platform, eventId, { OFFERED: 2 })).toEqual({ OFFERED: 2 });
  });

  it('rebuilds offers, the waitlist and deadlines from MySQL after Redis lost the event', async () => {
    const eventId = await createClaimEvent(platform, admin, { stock: 2, claimWindowSeconds: 3 });
    const [p1, p2, p3, p4] = (await applyInOrder(platform, eventId, 4, 'lost')) as [
      Participant,
      Participant,
      Participant,
      Participant,
    ];
    await waitFor(eventId, p2, 'OFFERED');
    await waitFor(eventId, p4, 'WAITLISTED');
    // Redis loses the event: its state, entries, waitlist and deadlines, and the poller's list.
    const keys = eventKeys(platform.issuerEnv['STOCK_REDIS_PREFIX'] ?? '', eventId);
    await withRedis((redis) =>
      redis.del(keys.state, keys.apps, keys.waitlist, keys.due, claimEventsKey(platform.issuerEnv['STOCK_REDIS_PREFIX'] ?? '')),
    );
    // The claim rebuilds the event from MySQL and takes the offer, with the code it was held with.
    const claimed = await act(platform, eventId, p1, 'claimGift');
    expect(claimed.errors).toBeUndefined();
    expect(claimed.data?.['claimGift'].status).toBe('ISSUED');
    // p2's deadline was restored: it expires by itself and the item passes to p3, then p4 waits.
    await waitFor(eventId, p2, 'EXPIRED', 15_000);
    await waitFor(eventId, p3, 'OFFERED');
    expect((await statusOf(platform, eventId, p4))['status']).toBe('WAITLISTED');
    const stats = await gql(
      platform.url,
      'query($id: ID!) { eventStats(eventId: $id) { issued offered waitlisted expired } }',
      { id: eventId },
      admin,
    );
    expect(stats.data?.['eventStats']).toEqual({ issued: 1, offered: 1, waitlisted: 1, expired: 1 });
  });

  it('answers the waitlist SOLD_OUT when the event closes, and lets an open offer still be claimed', async () => {
    const eventId = await createClaimEvent(platform, admin, { stock: 1, claimWindowSeconds: 60 });
    const [p1, p2, p3] = (await applyInOrder(platform, eventId, 3, 'close')) as [Participant, Participant, Participant];
    await waitFor(eventId, p1, 'OFFERED');
    await waitFor(eventId, p3, 'WAITLISTED');
    const closed = await gql(platform.url, 'mutation($id: ID!) { closeEvent(eventId: $id) { status } }', { id: eventId }, admin);
    expect(closed.data?.['closeEvent'].status).toBe('CLOSED');
    // The deadline poller sees the closed line and puts a CLOSE record on the event's key.
    await waitFor(eventId, p2, 'SOLD_OUT', 5_000);
    await waitFor(eventId, p3, 'SOLD_OUT', 5_000);
    expect((await statusOf(platform, eventId, p1))['status']).toBe('OFFERED');
    expect((await act(platform, eventId, p1, 'claimGift')).data?.['claimGift'].status).toBe('ISSUED');
    // claimGift answers once Redis holds the decision; the issuer's MySQL write of it follows in the same chunk.
    expect(await mysqlCountsReach(platform, eventId, { ISSUED: 1, SOLD_OUT: 2 })).toEqual({ ISSUED: 1, SOLD_OUT: 2 });
  });

  it('answers the same as before for an event without a window', async () => {
    const eventId = await createClaimEvent(platform, admin, { stock: 1, claimWindowSeconds: 0 });
    const [p1, p2] = (await applyInOrder(platform, eventId, 2, 'plain', ['ACCEPTED', 'SOLD_OUT'])) as [Participant, Participant];
    expect((await waitFor(eventId, p1, 'ISSUED'))['giftCode']).toMatch(/\S+/);
    await waitFor(eventId, p2, 'SOLD_OUT');
    expect(codeOf(await act(platform, eventId, p1, 'claimGift'))).toBe('NOT_OFFERED');
  });
});
