import { AdmitOutcome, defineStockScripts, eventKeys, readHotState } from '@fcfs/stock';
import { ApplyOutcome } from '@fcfs/proto';
import { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import { startPipeline, type Pipeline } from '../../../../test/pipeline/harness';
import { eventually, testKafka, testLogger, urls } from '../../../../test/support';
import { startEvent, type RunningEvent } from '../app';
import { loadServiceConfig } from '../config';
import { pendingSwept } from '../metrics';
import { createSweeper, type Sweeper } from './sweeper';

// The event service died between the gate and the produce: the admission is in Redis, no record in Kafka.
// Simulated honestly with the real gate script (admit.lua) and no produce after it.
describe('the sweeper of orphaned PENDING applications (real Kafka, Redis, MariaDB)', () => {
  const redis = new Redis(urls.redis);
  const scripts = defineStockScripts(redis);
  afterAll(() => redis.disconnect());

  /** The invariants after a drain: issued <= stock, one gift per participant, nobody PENDING. */
  const expectInvariants = async (p: Pipeline, eventId: string, stock: number) => {
    const keys = eventKeys(p.prefix, eventId);
    const hot = await readHotState(redis, keys);
    expect(hot?.pending).toBe(0);
    expect(hot?.issued).toBeLessThanOrEqual(stock);
    const gifts = await p.count('SELECT COUNT(*) n FROM gifts WHERE event_id = ?', [eventId]);
    expect(gifts).toBe(hot?.issued);
    expect(gifts).toBeLessThanOrEqual(stock);
    expect(await p.count('SELECT COUNT(DISTINCT participant_id) n FROM gifts WHERE event_id = ?', [eventId])).toBe(gifts);
    expect(Object.values(await redis.hgetall(keys.apps)).filter((e) => e.startsWith('P|'))).toEqual([]);
  };

  const decided = (p: Pipeline, eventId: string, participantId: string) =>
    eventually(
      async () =>
        (await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ? AND participant_id = ?', [
          eventId,
          participantId,
        ])) === 1
          ? true
          : undefined,
      30_000,
      `participant ${participantId} decided`,
    );

  describe('started by startEvent, with a short grace and interval', () => {
    let p: Pipeline;
    let replica: RunningEvent;

    beforeAll(async () => {
      p = await startPipeline();
      // A second replica of the event service, sweeping every 200 ms what is PENDING for more than 1 s.
      replica = await startEvent(loadServiceConfig({ ...p.env, SWEEP_INTERVAL_MS: '200', SWEEP_PENDING_AFTER_MS: '1000' }), {
        logger: testLogger('event-sweeper'),
        loadJwks: p.tokens.loadJwks,
      });
    });
    afterAll(async () => {
      await replica?.stop();
      await p?.stop();
    });

    it('removes and releases the orphan; its participant applies again and is decided by the issuer', async () => {
      const stock = 2;
      const event = await p.createOpenEvent(stock);
      const keys = eventKeys(p.prefix, event.id);
      // A real application first: the event's partition holds a record the issuer consumed.
      expect((await p.apply(event.id, '1')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
      await decided(p, event.id, '1');
      const sweptBefore = (await pendingSwept.get()).values[0]?.value ?? 0;

      // The crash: admitted by the gate, never produced.
      const reply = await scripts.admit(keys, Date.now(), { seq: 0, through: 0 }, ['2']);
      const admitted = reply.kind === 'admitted' ? reply : undefined;
      expect(admitted?.admissions[0]?.outcome).toBe(AdmitOutcome.ACCEPTED);
      const orphanPosition = Number(admitted?.admissions[0]?.entry.split('|')[1]);
      expect((await readHotState(redis, keys))?.pending).toBe(1);

      await eventually(async () => ((await redis.hexists(keys.apps, '2')) === 0 ? true : undefined), 30_000, 'the orphan swept');
      const hot = await readHotState(redis, keys);
      expect(hot).toMatchObject({ pending: 0, admitted: 2, released: 1, issued: 1 });
      expect((await pendingSwept.get()).values[0]?.value).toBe(sweptBefore + 1);

      // The participant is no longer stuck: a new application, a new position, decided by the issuer.
      const again = await p.apply(event.id, '2');
      expect(again.outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
      expect(again.application?.position).toBeGreaterThan(orphanPosition);
      await decided(p, event.id, '2');
      await eventually(async () => ((await readHotState(redis, keys))?.pending === 0 ? true : undefined), 30_000, 'drained');
      expect((await readHotState(redis, keys))?.issued).toBe(2);
      expect((await redis.hget(keys.apps, '2'))?.startsWith('I|')).toBe(true);
      await expectInvariants(p, event.id, stock);
    });
  });

  describe('a PENDING whose record is in Kafka but not consumed yet', () => {
    let p: Pipeline;
    let admin: Admin;
    let sweeper: Sweeper;

    beforeAll(async () => {
      p = await startPipeline({ issuer: false });
      admin = testKafka().admin();
      await admin.connect();
      sweeper = createSweeper({
        redis,
        scripts,
        sequelize: p.db.sequelize,
        admin,
        topic: p.topic,
        issuerGroup: p.group,
        prefix: p.prefix,
        logger: testLogger('sweeper'),
        // Ten minutes on: every admission of this test is far past the grace.
        now: () => Date.now() + 10 * 60_000,
        graceMs: 60_000,
        intervalMs: 0,
      });
    });
    afterAll(async () => {
      await sweeper?.stop();
      await admin?.disconnect();
      await p?.stop();
    });

    it('is not swept, and is decided once the issuer starts (the orphan beside it is swept only then)', async () => {
      const stock = 2;
      const event = await p.createOpenEvent(stock);
      const keys = eventKeys(p.prefix, event.id);
      // In Kafka, not consumed: the issuer is not running.
      expect((await p.apply(event.id, '1')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
      // An orphan of the same event: the offsets cannot tell it apart while the issuer lags, so it waits too.
      const again = await scripts.admit(keys, Date.now(), { seq: 0, through: 0 }, ['2']);
      expect(again.kind === 'admitted' ? again.admissions[0]?.outcome : again.kind).toBe(AdmitOutcome.ACCEPTED);

      expect(await sweeper.sweepOnce()).toBe(0);
      expect(await sweeper.sweepOnce()).toBe(0);
      expect((await redis.hget(keys.apps, '1'))?.startsWith('P|')).toBe(true);
      expect((await readHotState(redis, keys))?.pending).toBe(2);

      await p.startIssuer();
      await decided(p, event.id, '1');
      const app = await redis.hget(keys.apps, '1');
      expect(app?.startsWith('I|')).toBe(true);

      // The issuer committed past participant 1's record: what is still PENDING never reached Kafka.
      await eventually(async () => ((await sweeper.sweepOnce()) === 1 ? true : undefined), 30_000, 'the orphan swept');
      expect(await redis.hget(keys.apps, '1')).toBe(app);
      expect(await redis.hexists(keys.apps, '2')).toBe(0);
      expect(await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id])).toBe(1);
      await expectInvariants(p, event.id, stock);
      expect(await readHotState(redis, keys)).toMatchObject({ admitted: 2, released: 1, issued: 1 });
    });
  });

  it('sweep.lua touches only an entry still PENDING at the position it was chosen at', async () => {
    const keys = eventKeys(`sweep-lua-${Date.now()}:`, '1');
    try {
      await redis.hset(keys.state, 'ready', 1, 'admitted', 3, 'released', 0, 'pending', 2, 'issued', 1);
      await redis.hset(keys.apps, 'a', 'P|1|1000||', 'b', 'P|5|1000||', 'c', 'I|2|1000|2000|CODE');
      const swept = await scripts.sweep(keys, [
        { participantId: 'a', position: 1 },
        { participantId: 'b', position: 3 }, // swept and applied again meanwhile: not this one
        { participantId: 'c', position: 2 }, // decided meanwhile: the issuer's
        { participantId: 'd', position: 4 }, // gone already
      ]);
      expect(swept).toBe(1);
      expect(await redis.hgetall(keys.apps)).toEqual({ b: 'P|5|1000||', c: 'I|2|1000|2000|CODE' });
      expect(await redis.hmget(keys.state, 'released', 'pending')).toEqual(['1', '1']);
    } finally {
      await redis.del(keys.state, keys.apps);
    }
  });
});
