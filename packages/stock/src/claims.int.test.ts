import { Redis } from 'ioredis';
import { randomSuffix, urls } from '../../../test/support';
import { parseEntry } from './entry';
import { eventKeys, type EventKeys } from './keys';
import { defineStockScripts, type ClaimOperation, type RebuildState } from './scripts';
import { readHotState } from './state';

// claims.lua and due.lua (claim windows), run for real against Redis: the one ordered authority over offers.
describe('the claim window scripts', () => {
  const redis = new Redis(urls.redis);
  const scripts = defineStockScripts(redis);
  const prefix = `lua-claims-${randomSuffix()}:`;
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const T0 = 1_750_000_000_000;
  const WINDOW = 10;
  let n = 0;
  const claimEvent = async (stock: number, maxOpenOffers = 0): Promise<EventKeys> => {
    const keys = eventKeys(prefix, String(++n));
    await scripts.rebuild(keys, claimState(stock, maxOpenOffers), []);
    return keys;
  };
  const claimState = (stock: number, maxOpenOffers = 0, epoch = 'e'): RebuildState => ({
    epoch,
    stock,
    status: 'OPEN',
    opensAtMs: undefined,
    closesAtMs: undefined,
    lastPosition: 0,
    issued: 0,
    decidedThrough: 0,
    claimWindowSeconds: WINDOW,
    maxOpenOffers,
  });
  const op = (kind: ClaimOperation['kind'], participantId: string, position = 0, atMs = 0): ClaimOperation => ({
    kind,
    participantId,
    position,
    appliedAtMs: T0,
    atMs,
    giftCode: `C-${participantId}-${kind}-${position}-${atMs}`,
  });
  const applyAll = (keys: EventKeys, ids: string[]) =>
    scripts.claims(
      keys,
      T0,
      ids.map((id, i) => op('A', id, i + 1)),
    );
  const letters = async (keys: EventKeys, ids: string[]) =>
    Promise.all(ids.map(async (id) => ((await redis.hget(keys.apps, id)) ?? '-').slice(0, 1)));

  it('offers up to the stock in position order and waitlists the rest, with claimBy = now + window', async () => {
    const keys = await claimEvent(2);
    const result = await applyAll(keys, ['a', 'b', 'c', 'd']);
    expect(result?.changes.map((c) => c.entry.slice(0, 1))).toEqual(['O', 'O', 'L', 'L']);
    expect(parseEntry(result?.changes[0]?.entry ?? '').claimByMs).toBe(T0 + WINDOW * 1000);
    expect(await redis.zrange(keys.due, 0, -1)).toEqual(['a', 'b']);
    expect(await readHotState(redis, keys)).toMatchObject({ offered: 2, waitlisted: 2, issued: 0 });
  });

  it('decides a claim and the expiry of one offer exactly one way, whichever comes first', async () => {
    const keys = await claimEvent(2);
    await applyAll(keys, ['a', 'b', 'c']);
    const by = T0 + WINDOW * 1000;
    // a: claimed in time, then its expiry arrives: the expiry changes nothing.
    await scripts.claims(keys, by - 5, [op('C', 'a', 0, by - 5)]);
    await scripts.claims(keys, by + 1, [op('X', 'a')]);
    // b: the expiry first (past claimBy), then a claim stamped in time: the claim changes nothing.
    await scripts.claims(keys, by + 1, [op('X', 'b')]);
    const late = await scripts.claims(keys, by + 2, [op('C', 'b', 0, by - 1)]);
    expect(late?.changes.map((c) => c.entry.slice(0, 1))).toEqual(['E']);
    expect(await letters(keys, ['a', 'b', 'c'])).toEqual(['I', 'E', 'O']);
    expect(await readHotState(redis, keys)).toMatchObject({ issued: 1, offered: 1, expired: 1, waitlisted: 0 });
  });

  it('ignores an expiry before claimBy and a claim stamped after it', async () => {
    const keys = await claimEvent(1);
    await applyAll(keys, ['a']);
    const by = T0 + WINDOW * 1000;
    await scripts.claims(keys, by - 1, [op('X', 'a')]);
    await scripts.claims(keys, by + 10, [op('C', 'a', 0, by + 1)]);
    expect(await letters(keys, ['a'])).toEqual(['O']);
  });

  it('passes a declined item to the earliest waitlisted, and sells out the waitlist once every item is claimed', async () => {
    const keys = await claimEvent(1);
    await applyAll(keys, ['a', 'b', 'c']);
    const declined = await scripts.claims(keys, T0 + 100, [op('D', 'a')]);
    expect(declined?.changes.map((c) => `${c.participantId}:${c.entry.slice(0, 1)}`)).toEqual(['a:E', 'b:O']);
    expect(parseEntry(declined?.changes[1]?.entry ?? '').claimByMs).toBe(T0 + 100 + WINDOW * 1000);
    const claimed = await scripts.claims(keys, T0 + 200, [op('C', 'b', 0, T0 + 200)]);
    expect(claimed?.changes.map((c) => `${c.participantId}:${c.entry.slice(0, 1)}`)).toEqual(['b:I', 'c:S']);
    // A late applicant finds nothing left (the gate would have answered SOLD_OUT already).
    const late = await scripts.claims(keys, T0 + 300, [op('A', 'd', 4)]);
    expect(late?.changes.map((c) => c.entry.slice(0, 1))).toEqual(['S']);
  });

  it('keeps at most maxOpenOffers open, offering the next in line when one ends', async () => {
    const keys = await claimEvent(3, 1);
    await applyAll(keys, ['a', 'b', 'c']);
    expect(await letters(keys, ['a', 'b', 'c'])).toEqual(['O', 'L', 'L']);
    await scripts.claims(keys, T0 + 50, [op('C', 'a', 0, T0 + 50)]);
    expect(await letters(keys, ['a', 'b', 'c'])).toEqual(['I', 'O', 'L']);
  });

  it('sells out the waitlist when the line closes, and then passes nothing on', async () => {
    const keys = await claimEvent(1);
    await applyAll(keys, ['a', 'b']);
    await scripts.configure(keys, { status: 'CLOSED' });
    expect((await scripts.due(keys, T0 + 1, 3_000, 100)).close).toBe(true);
    // Re-armed: a second poll at once does not produce the close again.
    expect((await scripts.due(keys, T0 + 2, 3_000, 100)).close).toBe(false);
    await scripts.claims(keys, T0 + 3, [op('Z', '0')]);
    expect(await letters(keys, ['a', 'b'])).toEqual(['O', 'S']);
    await scripts.claims(keys, T0 + 4, [op('D', 'a')]);
    expect(await letters(keys, ['a', 'b'])).toEqual(['E', 'S']);
  });

  it('hands each due deadline to one poller, and again after the retry delay until it is decided', async () => {
    const keys = await claimEvent(2);
    await applyAll(keys, ['a', 'b']);
    const by = T0 + WINDOW * 1000;
    expect((await scripts.due(keys, by - 1, 3_000, 100)).expired).toEqual([]);
    expect((await scripts.due(keys, by, 3_000, 100)).expired.map((d) => d.participantId).sort()).toEqual(['a', 'b']);
    expect((await scripts.due(keys, by + 1, 3_000, 100)).expired).toEqual([]);
    await scripts.claims(keys, by + 10, [op('X', 'a')]);
    // b's expiry record never got decided (lost): it comes due again; a's was decided and left the set.
    expect((await scripts.due(keys, by + 3_000, 3_000, 100)).expired.map((d) => d.participantId)).toEqual(['b']);
  });

  it('passes the room an undone admission held down the waitlist: due reports it once, a PASS offers the earliest', async () => {
    const keys = await claimEvent(2);
    // The gate admits a, b and c at 1, 2 and 3; a's and c's records reach the issuer, b's produce fails.
    expect((await scripts.admit(keys, T0, { seq: 0, through: 0 }, ['a', 'b', 'c'])).kind).toBe('admitted');
    await scripts.claims(keys, T0, [op('A', 'a', 1), op('A', 'c', 3)]);
    // a is offered; c waits behind b, whose record may still come: the two items are a's and b's.
    expect(await letters(keys, ['a', 'c'])).toEqual(['O', 'L']);
    expect((await scripts.due(keys, T0 + 1, 3_000, 100)).pass).toBe(0);
    // b's admission is undone: its record never comes, and no operation of the line would pass its room down.
    expect(await scripts.undo(keys, [{ participantId: 'b', position: 2 }])).toBe(1);
    expect((await scripts.due(keys, T0 + 2, 3_000, 100)).pass).toBe(1);
    // Re-armed: a poller at the same time has nothing to produce.
    expect((await scripts.due(keys, T0 + 3, 3_000, 100)).pass).toBe(0);
    const passed = await scripts.claims(keys, T0 + 4, [op('P', '0')]);
    expect(passed?.changes.map((c) => [c.participantId, c.entry.slice(0, 1)])).toEqual([['c', 'O']]);
    expect(await readHotState(redis, keys)).toMatchObject({ offered: 2, waitlisted: 0 });
    // A second PASS (another poller's, a redelivery) changes nothing, and nothing more is due.
    expect((await scripts.claims(keys, T0 + 5, [op('P', '0')]))?.changes).toEqual([]);
    expect((await scripts.due(keys, T0 + 3_010, 3_000, 100)).pass).toBe(0);
  });

  it('offers by rank in the line: a later position whose record comes first waits for the earlier PENDING ones', async () => {
    const keys = await claimEvent(1);
    // Both admitted by the gate (a claim window keeps it open until every item is claimed): a at 1, b at 2.
    const admitted = await scripts.admit(keys, T0, { seq: 0, through: 0 }, ['a', 'b']);
    expect(admitted.kind === 'admitted' && admitted.admissions.map((a) => a.ahead)).toEqual([0, 1]);
    // Another replica's record of b reaches the issuer before a's.
    const first = await scripts.claims(keys, T0, [op('A', 'b', 2)]);
    expect(first?.changes.map((c) => `${c.participantId}:${c.entry.slice(0, 1)}`)).toEqual(['b:L']);
    const second = await scripts.claims(keys, T0, [op('A', 'a', 1)]);
    expect(second?.changes.map((c) => `${c.participantId}:${c.entry.slice(0, 1)}`)).toEqual(['a:O']);
    expect(await redis.zcard(keys.line)).toBe(0);
    // a declines: the item passes to b.
    await scripts.claims(keys, T0 + 10, [op('D', 'a')]);
    expect(await letters(keys, ['a', 'b'])).toEqual(['E', 'O']);
  });

  it("answers the counts it had before each chunk, for the MySQL authority's check", async () => {
    const keys = await claimEvent(2);
    await applyAll(keys, ['a', 'b', 'c']);
    const claimed = await scripts.claims(keys, T0 + 5, [op('C', 'a', 0, T0 + 5)]);
    expect(claimed).toMatchObject({ issuedBefore: 0, offeredBefore: 2, decidedThroughBefore: 3, issued: 1, offered: 1 });
  });

  it('a forced rebuild keeps the offers, their deadlines and the waitlist from MySQL, and re-decides what MySQL lacks', async () => {
    const keys = await claimEvent(1);
    await applyAll(keys, ['a', 'b', 'c']);
    const fromMysql = await Promise.all(
      ['a', 'b', 'c'].map(async (id) => ({ participantId: id, entry: (await redis.hget(keys.apps, id)) ?? '' })),
    );
    // Redis goes back in time: its deadlines and waitlist are gone, and it holds an offer MySQL never committed.
    await redis.del(keys.due, keys.waitlist);
    await redis.hset(keys.apps, 'd', `O|4|${T0}|${T0}|C-d|${T0 + 1}`);
    const rebuilt = await scripts.rebuild(keys, { ...claimState(1, 0, 'e2'), issued: 0, decidedThrough: 3 }, fromMysql, {
      force: true,
    });
    expect(rebuilt).toBe(true);
    expect(await redis.zrange(keys.due, 0, -1, 'WITHSCORES')).toEqual(['a', String(T0 + WINDOW * 1000)]);
    expect(await redis.zrange(keys.waitlist, 0, -1)).toEqual(['b', 'c']);
    expect(await readHotState(redis, keys)).toMatchObject({ epoch: 'e2', offered: 1, waitlisted: 2, pending: 1 });
    expect(await redis.hget(keys.apps, 'd')).toBe(`P|4|${T0}||`);
    expect(await redis.zrange(keys.line, 0, -1)).toEqual(['d']);
  });
});
