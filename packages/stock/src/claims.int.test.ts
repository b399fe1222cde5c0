import { Redis } from 'ioredis';
import { randomSuffix, urls } from '../../../test/support';
import { parseEntry } from './entry';
import { eventKeys, type EventKeys } from './keys';
import { defineStockScripts, type ClaimOperation } from './scripts';
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
    await scripts.rebuild(keys, {
      epoch: 'e',
      stock,
      status: 'OPEN',
      opensAtMs: undefined,
      closesAtMs: undefined,
      lastPosition: 0,
      issued: 0,
      soldOut: 0,
      decidedThrough: 0,
      claimWindowSeconds: WINDOW,
      maxOpenOffers,
    });
    return keys;
  };
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
    expect(result?.changes.map((c) => c.entry.slice(0, 1))).toEqual(['O', 'O', 'W', 'W']);
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
    expect(await letters(keys, ['a', 'b', 'c'])).toEqual(['O', 'W', 'W']);
    await scripts.claims(keys, T0 + 50, [op('C', 'a', 0, T0 + 50)]);
    expect(await letters(keys, ['a', 'b', 'c'])).toEqual(['I', 'O', 'W']);
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
});
