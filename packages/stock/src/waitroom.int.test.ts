import { ApplicationStatus } from '@fcfs/proto';
import { Redis } from 'ioredis';
import { randomSuffix, urls } from '../../../test/support';
import { parseEntry } from './entry';
import { eventKeys } from './keys';
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
    await scripts.rebuild(keys, {
      epoch: 'e1',
      stock: 2,
      status: 'SCHEDULED',
      opensAtMs: OPENS,
      closesAtMs: undefined,
      lastPosition: 0,
      issued: 0,
      soldOut: 0,
      decidedThrough: 0,
      waitingRoomOpensAtMs: ROOM,
      ...state,
    });
    return keys;
  };
  const outcomes = async (keys: ReturnType<typeof eventKeys>, at: number, ids: string[]) =>
    (await scripts.admit(keys, at, ids))?.admissions.map((a) => a.outcome);

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
    await scripts.admit(keys, ROOM, ['1', '2', '3']);
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
    const late = await scripts.admit(keys, OPENS + 10, ['9']);
    expect(late?.admissions[0]?.outcome).toBe(AdmitOutcome.SOLD_OUT);
    expect(parseEntry(late?.admissions[0]?.entry as string).position).toBe(4);
  });

  it('takes back only unconfirmed WAITING entries, and treats a WAITING left after the draw as never applied', async () => {
    const keys = await roomEvent({ stock: 5 });
    await scripts.admit(keys, ROOM, ['1', '2']);
    expect(await scripts.unwait(keys, ['2', '404'])).toBe(1);
    expect(await redis.hexists(keys.apps, '2')).toBe(0);
    await scripts.admit(keys, ROOM, ['3']);
    // The draw holds only '1'; '3' stayed WAITING in Redis without reaching MySQL (its process died).
    await scripts.place(keys, OPENS, 1, [{ participantId: '1', position: 1 }], true);
    const result = await scripts.admit(keys, OPENS, ['3']);
    expect(result?.admissions[0]?.outcome).toBe(AdmitOutcome.ACCEPTED);
    expect(parseEntry(result?.admissions[0]?.entry as string).position).toBe(2);
  });

  it('leaves an event without a waiting room to the gate as before', async () => {
    const keys = await roomEvent({ waitingRoomOpensAtMs: undefined, status: 'OPEN' });
    expect(await outcomes(keys, ROOM, ['1'])).toEqual([AdmitOutcome.ACCEPTED]);
  });
});
