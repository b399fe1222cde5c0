import { ApplicationStatus } from '@fcfs/proto';
import { Redis } from 'ioredis';
import { randomSuffix, urls } from '../../../test/support';
import { parseEntry } from './entry';
import { eventKeys, type EventKeys } from './keys';
import { AdmitOutcome, defineStockScripts, type DecideItem, type RebuildState } from './scripts';
import { readHotState } from './state';

// The contracts of the line's Lua scripts, run for real against Redis, each test on its own key prefix.
describe('the line Lua scripts', () => {
  const redis = new Redis(urls.redis);
  const scripts = defineStockScripts(redis);
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });

  const NOW = 1_750_000_000_000;
  const rebuildState = (over: Partial<RebuildState> = {}): RebuildState => ({
    epoch: 'x',
    stock: 9,
    status: 'OPEN',
    opensAtMs: undefined,
    closesAtMs: undefined,
    lastPosition: 0,
    issued: 0,
    decidedThrough: 0,
    ...over,
  });
  const freshEvent = async (state: Partial<RebuildState> = {}) => {
    const prefix = `lua-${randomSuffix()}:`;
    prefixes.push(prefix);
    const keys = eventKeys(prefix, '7');
    await scripts.rebuild(keys, rebuildState({ epoch: 'e1', stock: 2, ...state }), []);
    return keys;
  };
  /** admit.lua as most tests need it: null unless admitted (no state, stale or held). */
  const admit = async (keys: EventKeys, now: number, ids: string[]) => {
    const reply = await scripts.admit(keys, now, { seq: 0, through: 0 }, ids);
    return reply.kind === 'admitted' ? reply : null;
  };
  const item = (participantId: string, position: number, giftCode = `CODE-${participantId}`): DecideItem => ({
    participantId,
    position,
    appliedAtMs: NOW,
    gateDecidedAtMs: undefined,
    giftCode,
  });

  describe('admit (the gate)', () => {
    it('answers null for an event without state, and writes nothing', async () => {
      const keys = eventKeys(`lua-${randomSuffix()}:`, '7');
      expect(await admit(keys, NOW, ['1'])).toBeNull();
      expect(await redis.exists(keys.apps)).toBe(0);
    });

    it('accepts in order with 1-based positions until admitted - released reaches the stock, then SOLD_OUT', async () => {
      const keys = await freshEvent({ stock: 2 });
      const result = await admit(keys, NOW, ['10', '11', '12', '10']);
      expect(result?.admissions.map((a) => a.outcome)).toEqual([
        AdmitOutcome.ACCEPTED,
        AdmitOutcome.ACCEPTED,
        AdmitOutcome.SOLD_OUT,
        AdmitOutcome.ALREADY_APPLIED,
      ]);
      const entries = result?.admissions.map((a) => parseEntry(a.entry)) ?? [];
      expect(entries.map((e) => [e.status, e.position])).toEqual([
        [ApplicationStatus.APPLICATION_STATUS_PENDING, 1],
        [ApplicationStatus.APPLICATION_STATUS_PENDING, 2],
        [ApplicationStatus.APPLICATION_STATUS_SOLD_OUT, 3],
        [ApplicationStatus.APPLICATION_STATUS_PENDING, 1],
      ]);
      expect(entries[2]?.decidedAtMs).toBe(NOW);
      expect(await readHotState(redis, keys)).toMatchObject({ seq: 3, admitted: 2, pending: 2, soldOut: 1 });
      expect(await redis.get(keys.rate(Math.floor(NOW / 1000)))).toBe('4');
    });

    it('answers NOT_OPEN for drafts, before opensAt and after closesAt, but ALREADY_APPLIED still answers', async () => {
      const draft = await freshEvent({ status: 'DRAFT' });
      expect((await admit(draft, NOW, ['1']))?.admissions[0]).toEqual({ outcome: AdmitOutcome.NOT_OPEN, entry: '', ahead: 0 });
      const scheduled = await freshEvent({ status: 'SCHEDULED', opensAtMs: NOW + 1000, closesAtMs: NOW + 5000 });
      expect((await admit(scheduled, NOW + 999, ['1']))?.admissions[0]?.outcome).toBe(AdmitOutcome.NOT_OPEN);
      expect((await admit(scheduled, NOW + 1000, ['1']))?.admissions[0]?.outcome).toBe(AdmitOutcome.ACCEPTED);
      expect((await admit(scheduled, NOW + 5000, ['2']))?.admissions[0]?.outcome).toBe(AdmitOutcome.NOT_OPEN);
      expect((await admit(scheduled, NOW + 5000, ['1']))?.admissions[0]?.outcome).toBe(AdmitOutcome.ALREADY_APPLIED);
    });
  });

  describe('undo', () => {
    it('removes admissions still PENDING at their position and releases them, reopening the gate', async () => {
      const keys = await freshEvent({ stock: 1 });
      await admit(keys, NOW, ['1']);
      expect(await scripts.undo(keys, [{ participantId: '1', position: 99 }])).toBe(0);
      expect(await scripts.undo(keys, [{ participantId: '1', position: 1 }])).toBe(1);
      expect(await redis.hlen(keys.apps)).toBe(0);
      expect(await readHotState(redis, keys)).toMatchObject({ admitted: 1, released: 1, pending: 0 });
      expect((await admit(keys, NOW, ['3']))?.admissions[0]?.outcome).toBe(AdmitOutcome.ACCEPTED);
    });

    it('leaves a decided entry alone: a SOLD_OUT already answered never becomes applicable again', async () => {
      const keys = await freshEvent({ stock: 1 });
      await admit(keys, NOW, ['1', '2']); // 1 accepted at 1, 2 answered SOLD_OUT at the gate at 2
      await scripts.decide(keys, NOW + 1, [item('1', 1)]); // 1 issued
      const before = await redis.hgetall(keys.apps);
      expect(
        await scripts.undo(keys, [
          { participantId: '1', position: 1 },
          { participantId: '2', position: 2 },
        ]),
      ).toBe(0);
      expect(await redis.hgetall(keys.apps)).toEqual(before);
      expect(await readHotState(redis, keys)).toMatchObject({ issued: 1, released: 0, soldOut: 1, pending: 0 });
      expect((await admit(keys, NOW, ['2']))?.admissions[0]?.outcome).toBe(AdmitOutcome.ALREADY_APPLIED);
    });
  });

  describe('decide (the issuer)', () => {
    it('issues while stock lasts, then SOLD_OUT with released + 1, and remembers every decision', async () => {
      const keys = await freshEvent({ stock: 2 });
      await admit(keys, NOW, ['1', '2']);
      await redis.hset(keys.state, 'stock', 1); // the stock was lowered after both were admitted
      const first = await scripts.decide(keys, NOW + 10, [item('1', 1), item('2', 2)]);
      expect(first).toMatchObject({ epoch: 'e1', stock: 1, issued: 1, decidedThrough: 2 });
      const [won, lost] = (first?.entries ?? []).map(parseEntry);
      expect(won).toMatchObject({
        status: ApplicationStatus.APPLICATION_STATUS_ISSUED,
        position: 1,
        giftCode: 'CODE-1',
        decidedAtMs: NOW + 10,
      });
      expect(lost).toMatchObject({ status: ApplicationStatus.APPLICATION_STATUS_SOLD_OUT, position: 2, giftCode: undefined });
      expect(await readHotState(redis, keys)).toMatchObject({ issued: 1, released: 1, pending: 0, soldOut: 1 });

      // Redelivered with fresh candidate codes: the same answers, the same code, nothing counted twice.
      const again = await scripts.decide(keys, NOW + 99, [item('1', 1, 'OTHER'), item('2', 2, 'OTHER')]);
      expect(again?.entries).toEqual(first?.entries);
      expect(await readHotState(redis, keys)).toMatchObject({ issued: 1, released: 1, soldOut: 1 });
    });

    it('records a gate SOLD_OUT as it was decided, taking no stock', async () => {
      const keys = await freshEvent({ stock: 5 });
      const result = await scripts.decide(keys, NOW + 10, [{ ...item('1', 4), gateDecidedAtMs: NOW + 1 }]);
      expect(parseEntry(result?.entries[0] ?? '')).toMatchObject({
        status: ApplicationStatus.APPLICATION_STATUS_SOLD_OUT,
        decidedAtMs: NOW + 1,
      });
      expect(await readHotState(redis, keys)).toMatchObject({ issued: 0, released: 0, soldOut: 1 });
    });

    it("decides only the entry at the record's own position: a stale record leaves a later admission PENDING", async () => {
      const keys = await freshEvent({ stock: 2 });
      await admit(keys, NOW, ['1']); // at 1; its produce is undone, yet the record reached Kafka
      await scripts.undo(keys, [{ participantId: '1', position: 1 }]);
      await admit(keys, NOW, ['1']); // applied again: at 2
      const stale = await scripts.decide(keys, NOW + 10, [item('1', 1)]);
      expect(parseEntry(stale?.entries[0] ?? '')).toMatchObject({
        status: ApplicationStatus.APPLICATION_STATUS_PENDING,
        position: 2,
      });
      expect(await readHotState(redis, keys)).toMatchObject({ issued: 0, pending: 1, soldOut: 0 });
      const own = await scripts.decide(keys, NOW + 20, [item('1', 2)]);
      expect(parseEntry(own?.entries[0] ?? '')).toMatchObject({
        status: ApplicationStatus.APPLICATION_STATUS_ISSUED,
        position: 2,
      });
      expect(await readHotState(redis, keys)).toMatchObject({ issued: 1, pending: 0 });
      // A record whose entry is gone (undone, swept, or lost with Redis) is still decided at its own position.
      const orphan = await scripts.decide(keys, NOW + 30, [item('9', 7)]);
      expect(parseEntry(orphan?.entries[0] ?? '')).toMatchObject({
        status: ApplicationStatus.APPLICATION_STATUS_ISSUED,
        position: 7,
      });
    });

    it('answers null without state (rebuild first)', async () => {
      expect(await scripts.decide(eventKeys(`lua-${randomSuffix()}:`, '7'), NOW, [item('1', 1)])).toBeNull();
    });
  });

  describe('rebuild and settle', () => {
    it('rebuild never overwrites a state unless forced', async () => {
      const keys = await freshEvent({ stock: 3 });
      expect(await scripts.rebuild(keys, rebuildState(), [{ participantId: '2', entry: 'S|2|1|2|' }])).toBe(false);
      expect((await readHotState(redis, keys))?.stock).toBe(3);
      expect(await redis.hget(keys.apps, '2')).toBeNull();
    });

    it('a forced rebuild takes MySQL over a stale state, keeps what is on its way, and never lowers seq', async () => {
      const keys = await freshEvent({ stock: 3 });
      // The stale state: 1 decided SOLD_OUT here but ISSUED in MySQL; 3 ISSUED here only (never committed);
      // 4 PENDING and 5 SOLD_OUT at the gate, their records still in Kafka; seq at 9.
      await redis.hset(keys.apps, '1', 'S|1|1|2|', '3', 'I|3|1|2|LOST', '4', 'P|4|1||', '5', 'S|5|1|1|');
      await redis.hset(keys.state, 'seq', 9, 'issued', 1);
      const mysql = [
        { participantId: '1', entry: 'I|1|1|2|WON' },
        { participantId: '2', entry: 'S|2|1|2|' },
      ];
      expect(
        await scripts.rebuild(keys, rebuildState({ issued: 1, decidedThrough: 2, lastPosition: 2 }), mysql, { force: true }),
      ).toBe(true);
      expect(await redis.hmget(keys.apps, '1', '2', '3', '4', '5')).toEqual([
        'I|1|1|2|WON',
        'S|2|1|2|',
        'P|3|1||',
        'P|4|1||',
        'S|5|1|1|',
      ]);
      expect(await readHotState(redis, keys)).toMatchObject({
        epoch: 'x',
        stock: 9,
        seq: 9,
        issued: 1,
        pending: 2,
        admitted: 3,
        released: 0,
        soldOut: 2,
        decidedThrough: 2,
      });
    });

    it('admit refuses a seq below what the caller saw (stale), and holds after a rebuild until lifted', async () => {
      const keys = await freshEvent({ stock: 3, lastPosition: 4 });
      expect(await scripts.admit(keys, NOW, { seq: 5, through: 0 }, ['1'])).toEqual({ kind: 'stale', seq: 4, epoch: 'e1' });
      expect(await scripts.admit(keys, NOW, { seq: 0, through: 1 }, ['1'])).toEqual({ kind: 'stale', seq: 4, epoch: 'e1' });
      expect(await redis.hget(keys.apps, '1')).toBeNull();
      expect(
        await scripts.rebuild(keys, rebuildState({ heldSinceMs: 77, lastPosition: 5 }), [], { force: true, staleEpoch: 'e0' }),
      ).toBe(false); // rebuilt meanwhile by another process: kept
      expect(
        await scripts.rebuild(keys, rebuildState({ heldSinceMs: 77, lastPosition: 5 }), [], { force: true, staleEpoch: 'e1' }),
      ).toBe(true);
      expect(await scripts.admit(keys, NOW, { seq: 5, through: 0 }, ['1'])).toEqual({ kind: 'held', sinceMs: 77 });
      expect(await scripts.lift(keys, 76, 9)).toBe(false); // another hold
      expect(await scripts.lift(keys, 77, 9)).toBe(true);
      const after = await scripts.admit(keys, NOW, { seq: 5, through: 0 }, ['1']);
      expect(after).toMatchObject({ kind: 'admitted', seq: 10 });
    });

    it('forget removes only a SOLD_OUT still exactly as the gate stored it', async () => {
      const keys = await freshEvent({ stock: 0 });
      const reply = await admit(keys, NOW, ['1', '2']);
      const [one, two] = reply?.admissions ?? [];
      await redis.hset(keys.apps, '2', 'S|2|1|5|'); // recorded otherwise meanwhile
      expect(
        await scripts.forget(keys, [
          { participantId: '1', entry: one?.entry ?? '' },
          { participantId: '2', entry: two?.entry ?? '' },
        ]),
      ).toBe(1);
      expect(await redis.hmget(keys.apps, '1', '2')).toEqual([null, 'S|2|1|5|']);
      expect((await readHotState(redis, keys))?.soldOut).toBe(1);
    });

    it('line: ahead counts the PENDING admissions before each, and the issuer decides by rank in it, not by arrival', async () => {
      const keys = await freshEvent({ stock: 2 });
      const reply = await admit(keys, NOW, ['1', '2']);
      expect(reply?.admissions.map((a) => a.ahead)).toEqual([0, 1]);
      // The stock lowered to 1 while both wait: the record at position 2 arrives first and loses to position 1.
      await scripts.configure(keys, { stock: 1 });
      const late = await scripts.decide(keys, NOW, [item('2', 2)]);
      expect(late?.entries[0]).toMatch(/^S\|2\|/);
      const early = await scripts.decide(keys, NOW, [item('1', 1)]);
      expect(early?.entries[0]).toMatch(/^I\|1\|/);
      expect(await redis.zcard(keys.line)).toBe(0);
    });

    it('decide claims the watermark it had before, marks fresh decisions and raises seq to what it consumed', async () => {
      const keys = await freshEvent({ stock: 3, lastPosition: 1 });
      const first = await scripts.decide(keys, NOW, [item('1', 1)]);
      expect(first).toMatchObject({ issuedBefore: 0, decidedThroughBefore: 0, issued: 1, decidedThrough: 1, fresh: [true] });
      const again = await scripts.decide(keys, NOW, [item('1', 1), item('2', 5)]);
      expect(again).toMatchObject({
        issuedBefore: 1,
        decidedThroughBefore: 1,
        issued: 2,
        decidedThrough: 5,
        fresh: [false, true],
      });
      // Entries Redis never had (lost): each winner counts as admitted, so admitted - released = issued + pending.
      expect(await readHotState(redis, keys)).toMatchObject({ seq: 5, issued: 2, admitted: 2, released: 0, pending: 0 });
    });

    it('settle puts back decisions a rebuild missed, and does nothing in the same epoch', async () => {
      const keys = await freshEvent({ stock: 3 });
      const decided = await scripts.decide(keys, NOW, [item('1', 1), item('2', 2)]);
      const entries = [
        { participantId: '1', entry: decided?.entries[0] ?? '' },
        { participantId: '2', entry: decided?.entries[1] ?? '' },
      ];
      expect(await scripts.settle(keys, 'e1', 2, entries)).toBe(0);
      // Redis lost the event and a rebuild read MySQL before these decisions were committed.
      await redis.del(keys.state, keys.apps);
      await scripts.rebuild(keys, rebuildState({ epoch: 'e2', stock: 3 }), []);
      expect(await scripts.settle(keys, 'e1', 2, entries)).toBe(2);
      expect(await readHotState(redis, keys)).toMatchObject({ issued: 2, admitted: 2, decidedThrough: 2 });
      expect(await redis.hget(keys.apps, '1')).toBe(decided?.entries[0]);
    });
  });

  describe('configure', () => {
    it('refuses a stock below what is issued, and answers no-state without one', async () => {
      const keys = await freshEvent({ stock: 3, issued: 2 });
      expect(await scripts.configure(keys, { stock: 1 })).toEqual({ kind: 'below-issued', issued: 2, offered: 0 });
      expect(await scripts.configure(keys, { stock: 2, status: 'CLOSED', closesAtMs: null })).toEqual({ kind: 'done' });
      expect(await readHotState(redis, keys)).toMatchObject({ stock: 2, status: 'CLOSED', closesAtMs: undefined });
      expect(await scripts.configure(eventKeys(`lua-${randomSuffix()}:`, '7'), { stock: 1 })).toEqual({ kind: 'no-state' });
    });
  });
});
