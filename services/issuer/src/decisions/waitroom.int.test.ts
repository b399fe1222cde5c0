import { ApplicationStatus } from '@fcfs/proto';
import { defineStockScripts, eventKeys } from '@fcfs/stock';
import { Redis } from 'ioredis';
import { createTestDatabase, randomSuffix, urls, type TestDatabase } from '../../../../test/support';
import { createDecider } from './decider';

// A record that meets its participant still WAITING: Redis lost a waiting room's placement after the drawer had
// produced the record (the rebuild brings everyone undecided back as WAITING). Nothing is decided or written for it;
// the drawer places and produces it again.
describe('the decider and the waiting room', () => {
  const redis = new Redis(urls.redis);
  const scripts = defineStockScripts(redis);
  const prefix = `dec-wr-${randomSuffix()}:`;
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('fcfs_decider_wr');
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await db?.drop();
  });

  it('leaves a WAITING participant undecided: no decision to write or tell', async () => {
    const keys = eventKeys(prefix, '3');
    const ROOM = Date.now() - 1_000;
    await scripts.rebuild(
      keys,
      {
        epoch: 'e1',
        stock: 5,
        status: 'SCHEDULED',
        opensAtMs: ROOM + 60_000,
        closesAtMs: undefined,
        lastPosition: 2,
        issued: 0,
        decidedThrough: 0,
        waitingRoomOpensAtMs: ROOM,
      },
      [],
    );
    await scripts.admit(keys, ROOM, { seq: 0, through: 0 }, ['41', '42']);
    await scripts.place(keys, ROOM + 1, 2, [{ participantId: '42', position: 2 }], false);
    const decider = createDecider({ redis, scripts, sequelize: db.sequelize, prefix, now: Date.now });
    const record = (participantId: string, position: number) => ({
      eventId: '3',
      participantId,
      position,
      appliedAtMs: ROOM,
      gateDecidedAtMs: undefined,
    });
    const chunk = await decider.decide('3', [record('41', 1), record('42', 2)]);
    if (chunk.kind !== 'decided') throw new Error(`expected decisions, got ${chunk.kind}`);
    expect(chunk.decided.map((d) => [d.participantId, d.app.status])).toEqual([
      ['42', ApplicationStatus.APPLICATION_STATUS_ISSUED],
    ]);
    expect((await redis.hget(keys.apps, '41'))?.startsWith('W|')).toBe(true);
  });
});
