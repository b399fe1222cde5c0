import { ApplicationStatus } from '@fcfs/proto';
import { Redis } from 'ioredis';
import { randomSuffix, urls } from '../../../test/support';
import { parseEntry } from './entry';
import { eventKeys, type EventKeys } from './keys';
import { AdmitOutcome, defineStockScripts, type RebuildState } from './scripts';
import { readHotState } from './state';

// The waiting room's Lua (waitroom.lua through admit.lua, place.lua, unwait.lua), run for real against Redis.
describe('the waiting room scripts', () => {
  const redis = new Redis(urls.redis);
  const scripts = defineStockScripts(redis);
  const prefix = `lua-wr-${randomSuffix()}:`;
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const ROOM = 1_750_000_000_000;
  const OPENS = ROOM + 60_000;
  let n = 0;
  const roomEvent = async (state: Partial<RebuildState> = {}) => {
    const keys = eventKeys(prefix, String(++n));
    await scripts.rebuild(keys, roomState(state), []);
    return keys;
  };
  const roomState = (state: Partial<RebuildState> = {}): RebuildState => ({
    epoch: 'e1',
    stock: 2,
    status: 'SCHEDULED',
    opensAtMs: OPENS,
    closesAtMs: undefined,
    lastPosition: 0,
    issued: 0,
    decidedThrough: 0,
    waitingRoomOpensAtMs: ROOM,
    ...state,
  });
  /** admit.lua with no floors: null unless admitted (no state, stale or held). */
  const admit = async (keys: EventKeys, at: number, ids: string[]) => {
    const reply = await scripts.admit(keys, at, { seq: 0, through: 0 }, ids);
    return reply.kind === 'admitted' ? reply : null;
  };
  const outcomes = async (keys: EventKeys, at: number, ids: string[]) =>
    (await admit(keys, at, ids))?.admissions.map((a) => a.outcome);

  it('answers NOT_OPEN before the room, WAITING in it (no position), and holds applies once open until placed', async () => {
    const keys = await roomEvent();
    expect(await outcomes(keys, ROOM - 1, ['1'])).toEqual([AdmitOutcome.NOT_OPEN]);
    expect(await outcomes(keys, ROOM, ['1', '2', '1'])).toEqual([
      AdmitOutcome.WAITING,
      AdmitOutcome.WAITING,
      AdmitOutcome.ALREADY_APPLIED,
    ]);
    const entry = parseEntry((await redis.hget(keys.apps, '1')) as string);
    expect(entry).toMatchObject({ status: ApplicationStatus.APPLICATION_STATUS_WAITING, position: 0, appliedAtMs: ROOM });
    expect(await readHotState(redis, keys)).toMatchObject({ waiting: 2, seq: 0, admitted: 0, drawn: false });
    expect(await outcomes(keys, OPENS, ['3', '1'])).toEqual([AdmitOutcome.HELD, AdmitOutcome.ALREADY_APPLIED]);
  });

  it('places the recorded order as the gate would (PENDING up to the stock, then SOLD_OUT), once, and opens the gate after it', async () => {
    const keys = await roomEvent({ stock: 2 });
    await admit(keys, ROOM, ['1', '2', '3']);
    const order = [
      { participantId: '3', position: 1 },
      { participantId: '1', position: 2 },
      { participantId: '2', position: 3 },
    ];
    const first = await scripts.place(keys, OPENS, 3, order.slice(0, 2), false);
    expect(first?.entries.map((e) => parseEntry(e).status)).toEqual([
      ApplicationStatus.APPLICATION_STATUS_PENDING,
      ApplicationStatus.APPLICATION_STATUS_PENDING,
    ]);
    // Not drawn until the last chunk: later applicants are still held.
    expect(await outcomes(keys, OPENS, ['9'])).toEqual([AdmitOutcome.HELD]);
    // A drawer finishing the same draw again (it died half-way) places nobody twice.
    const again = await scripts.place(keys, OPENS + 5, 3, order, true);
    expect(again?.entries.map((e) => [parseEntry(e).status, parseEntry(e).position])).toEqual([
      [ApplicationStatus.APPLICATION_STATUS_PENDING, 1],
      [ApplicationStatus.APPLICATION_STATUS_PENDING, 2],
      [ApplicationStatus.APPLICATION_STATUS_SOLD_OUT, 3],
    ]);
    expect(await readHotState(redis, keys)).toMatchObject({
      seq: 3,
      admitted: 2,
      pending: 2,
      soldOut: 1,
      waiting: 0,
      drawn: true,
    });
    const late = await admit(keys, OPENS + 10, ['9']);
    expect(late?.admissions[0]?.outcome).toBe(AdmitOutcome.SOLD_OUT);
    expect(parseEntry(late?.admissions[0]?.entry as string).position).toBe(4);
  });

  it('takes back only unconfirmed WAITING entries, and treats a WAITING left after the draw as never applied', async () => {
    const keys = await roomEvent({ stock: 5 });
    await admit(keys, ROOM, ['1', '2']);
    expect(await scripts.unwait(keys, ['2', '404'])).toBe(1);
    expect(await redis.hexists(keys.apps, '2')).toBe(0);
    await admit(keys, ROOM, ['3']);
    // The draw holds only '1'; '3' stayed WAITING in Redis without reaching MySQL (its process died).
    await scripts.place(keys, OPENS, 1, [{ participantId: '1', position: 1 }], true);
    const result = await admit(keys, OPENS, ['3']);
    expect(result?.admissions[0]?.outcome).toBe(AdmitOutcome.ACCEPTED);
    expect(parseEntry(result?.admissions[0]?.entry as string).position).toBe(2);
  });

  it('leaves an event without a waiting room to the gate as before', async () => {
    const keys = await roomEvent({ waitingRoomOpensAtMs: undefined, status: 'OPEN' });
    expect(await outcomes(keys, ROOM, ['1'])).toEqual([AdmitOutcome.ACCEPTED]);
  });

  it('puts placed PENDING entries in the line, so ahead and the rank rule count them whatever order records come in', async () => {
    const keys = await roomEvent({ stock: 2 });
    await admit(keys, ROOM, ['1', '2']);
    await scripts.place(
      keys,
      OPENS,
      2,
      [
        { participantId: '2', position: 1 },
        { participantId: '1', position: 2 },
      ],
      true,
    );
    expect(await redis.zrange(keys.line, 0, -1, 'WITHSCORES')).toEqual(['2', '1', '1', '2']);
    expect((await admit(keys, OPENS, ['1', '2']))?.admissions.map((a) => [a.outcome, a.ahead])).toEqual([
      [AdmitOutcome.ALREADY_APPLIED, 1],
      [AdmitOutcome.ALREADY_APPLIED, 0],
    ]);
    // The stock lowered to 1 while both wait: the record of drawn position 2 arrives first and loses to position 1.
    await scripts.configure(keys, { stock: 1 });
    const item = (participantId: string, position: number) => ({
      participantId,
      position,
      appliedAtMs: OPENS,
      gateDecidedAtMs: undefined,
      giftCode: `CODE-${participantId}`,
    });
    expect((await scripts.decide(keys, OPENS, [item('1', 2)]))?.entries[0]).toMatch(/^S\|2\|/);
    expect((await scripts.decide(keys, OPENS, [item('2', 1)]))?.entries[0]).toMatch(/^I\|1\|/);
    expect(await redis.zcard(keys.line)).toBe(0);
  });

  it('a rebuild (one rebuild.lua call, forced or not) keeps the room: WAITING restored and counted; after the draw, leftovers go', async () => {
    const keys = await roomEvent({ stock: 5 });
    await admit(keys, ROOM, ['1', '2']);
    // Forced over a stale state: MySQL's `waiting` names '3' too (its Redis entry was lost).
    const waitingEntry = `W|0|${ROOM}||`;
    const forced = await scripts.rebuild(
      keys,
      roomState({ epoch: 'e2', stock: 5 }),
      [{ participantId: '3', entry: waitingEntry }],
      {
        force: true,
      },
    );
    expect(forced).toBe(true);
    expect(await readHotState(redis, keys)).toMatchObject({ epoch: 'e2', waiting: 3, drawn: false, seq: 0, pending: 0 });
    expect(await redis.hget(keys.apps, '3')).toBe(waitingEntry);
    expect(await outcomes(keys, ROOM + 1, ['4', '1'])).toEqual([AdmitOutcome.WAITING, AdmitOutcome.ALREADY_APPLIED]);
    // MySQL says the draw (of 4) is placed: a stale Redis's WAITING entries are not in the line; positions 1..4 stay taken.
    await scripts.rebuild(keys, roomState({ epoch: 'e3', stock: 5, lastPosition: 4, drawn: true }), [], { force: true });
    expect(await readHotState(redis, keys)).toMatchObject({ waiting: 0, drawn: true, seq: 4 });
    expect(await redis.hlen(keys.apps)).toBe(0);
    const again = await admit(keys, OPENS, ['1']);
    expect(again?.admissions.map((a) => [a.outcome, parseEntry(a.entry).position])).toEqual([[AdmitOutcome.ACCEPTED, 5]]);
  });

  it('refuses a stale state for a room event as for any (no WAITING stored by a Redis that went back in time)', async () => {
    const keys = await roomEvent();
    const reply = await scripts.admit(keys, ROOM, { seq: 3, through: 0 }, ['1']);
    expect(reply.kind).toBe('stale');
    expect(await redis.hexists(keys.apps, '1')).toBe(0);
  });

  it("places a claim-window event's draw as its gate admits: everyone PENDING while items are unclaimed (the issuer waitlists)", async () => {
    const keys = await roomEvent({ stock: 1, claimWindowSeconds: 10 });
    await admit(keys, ROOM, ['1', '2', '3']);
    const placed = await scripts.place(
      keys,
      OPENS,
      3,
      ['1', '2', '3'].map((participantId, i) => ({ participantId, position: i + 1 })),
      true,
    );
    expect(placed?.entries.map((e) => parseEntry(e).status)).toEqual([
      ApplicationStatus.APPLICATION_STATUS_PENDING,
      ApplicationStatus.APPLICATION_STATUS_PENDING,
      ApplicationStatus.APPLICATION_STATUS_PENDING,
    ]);
    expect(await redis.zcard(keys.line)).toBe(3);
  });
});
