import { callUnary } from '@fcfs/kit';
import { ApplicationStatus, ApplyOutcome, type ApplyResponse } from '@fcfs/proto';
import { eventKeys } from '@fcfs/stock';
import { Redis } from 'ioredis';
import { eventually, urls } from '../support';
import { applyRetrying, startPipeline, type Pipeline } from './harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// MySQL is the authority over the stock (issue 12): whatever Redis says, the issuer's write checks it against
// MySQL's counters in the same transaction and never issues beyond MySQL's stock.
describe('MySQL as the authority over the stock', () => {
  let p: Pipeline;
  const redis = new Redis(urls.redis);
  beforeAll(async () => {
    p = await startPipeline();
  });
  afterAll(async () => {
    redis.disconnect();
    await p?.stop();
  });

  // One at a time, retried while the line is held after a rebuild; each answered ACCEPTED or SOLD_OUT.
  const applyAll = (eventId: string, ids: string[]) =>
    applyRetrying(
      p.client,
      eventId,
      ids,
      (_, r) => expect([ApplyOutcome.APPLY_OUTCOME_ACCEPTED, ApplyOutcome.APPLY_OUTCOME_SOLD_OUT]).toContain(r.outcome),
      { size: 1 },
    );
  const decidedInMysql = (eventId: string, n: number) =>
    eventually(
      async () => ((await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [eventId])) === n ? true : undefined),
      30_000,
      `${n} applications decided in MySQL`,
    );
  const gifts = (eventId: string) => p.count('SELECT COUNT(*) n FROM gifts WHERE event_id = ?', [eventId]);
  const reconciled = async (eventId: string) => {
    const issuer = p.issuerClient();
    return eventually(
      async () => {
        const r = await callUnary(issuer.reconcile.bind(issuer), { eventId });
        return r.consistent ? r : undefined;
      },
      30_000,
      'Redis and MySQL agreeing',
    );
  };

  it('refuses to issue beyond the stock when Redis says there is stock (the conditional update)', async () => {
    const event = await p.createOpenEvent(2);
    // A stale Redis that believes in more stock than MySQL holds (its counts of what is issued agree).
    await redis.hset(eventKeys(p.prefix, event.id).state, 'stock', 10);
    await applyAll(event.id, ['1', '2', '3', '4', '5']);
    await decidedInMysql(event.id, 5);
    expect(await gifts(event.id)).toBe(2);
    expect(await p.count("SELECT COUNT(*) n FROM applications WHERE event_id = ? AND status = 'ISSUED'", [event.id])).toBe(2);
    expect(await p.count('SELECT issued n FROM events WHERE id = ?', [event.id])).toBe(2);
    // Redis was rebuilt from MySQL: its stock is MySQL's again, and it agrees on every decision.
    expect(await reconciled(event.id)).toMatchObject({ issuedMysql: 2, issuedRedis: 2 });
    expect(await redis.hget(eventKeys(p.prefix, event.id).state, 'stock')).toBe('2');
  }, 60_000);

  it('catches a Redis that counts issued stock MySQL lacks (the rebuild race of a flush between two calls)', async () => {
    const stock = 10;
    const event = await p.createOpenEvent(stock);
    await applyAll(event.id, ['1', '2', '3']);
    await decidedInMysql(event.id, 3);
    // What a rebuild split in two Redis calls could leave behind: `issued` counting 5 gifts MySQL never had.
    await redis.hincrby(eventKeys(p.prefix, event.id).state, 'issued', 5);
    await applyAll(event.id, ['4', '5', '6', '7', '8', '9', '10']);
    await decidedInMysql(event.id, 10);
    // min(stock, applicants): without the watermark, Redis would have run out after 2 more.
    expect(await gifts(event.id)).toBe(stock);
    expect(await reconciled(event.id)).toMatchObject({ issuedMysql: stock, issuedRedis: stock });
  }, 60_000);

  it('answers a told status from MySQL while Redis lacks it or went back in time', async () => {
    const event = await p.createOpenEvent(5);
    const keys = eventKeys(p.prefix, event.id);
    await applyAll(event.id, ['1', '2']);
    await decidedInMysql(event.id, 2);
    const get = (participantId: string) =>
      callUnary(p.client.getApplication.bind(p.client), { eventId: event.id, participantId }).then((r) => r.application);
    const issued = (await get('2'))?.giftCode;
    expect(issued).toBeDefined();
    // Redis lost one entry: MySQL's decision is answered.
    await redis.hdel(keys.apps, '1');
    expect(await get('1')).toMatchObject({ status: ApplicationStatus.APPLICATION_STATUS_ISSUED, position: 1 });
    // Redis back at a moment before 2 was decided: its PENDING is not believed (once MySQL's watermark, cached a
    // second, is read again), and Redis is rebuilt from MySQL.
    const entry = (await redis.hget(keys.apps, '2')) ?? '';
    await redis.hset(keys.apps, '2', entry.replace(/^I\|(\d+)\|(\d+)\|.*$/, 'P|$1|$2||'));
    await redis.hset(keys.state, 'through', 1);
    const answered = await eventually(async () => {
      const app = await get('2');
      return app?.status === ApplicationStatus.APPLICATION_STATUS_PENDING ? undefined : app;
    }, 5_000);
    expect(answered).toMatchObject({ status: ApplicationStatus.APPLICATION_STATUS_ISSUED, position: 2, giftCode: issued });
    expect(await redis.hget(keys.apps, '2')).toBe(entry);
  }, 60_000);

  // Redis goes back in time with its state present (a lagging replica promoted, an older snapshot loaded): here
  // the event's keys (this test's own prefix) are restored to what they were half a second earlier, mid-herd.
  // Nobody loses a status they were told, no position is handed out twice, and the stock is issued exactly.
  it('keeps every told status, never hands out a position twice, and issues exactly the stock', async () => {
    const stock = 300;
    const applicants = 1_200;
    const event = await p.createOpenEvent(stock);
    const keys = eventKeys(p.prefix, event.id);
    const told = new Map<string, ApplyResponse>();
    const ids = Array.from({ length: applicants }, (_, i) => String(i + 1));

    // Four clients, each a quarter of the herd in calls of 10 at least 60 ms apart (the herd lasts about two
    // seconds however fast the line answers), retrying UNAVAILABLE.
    const worker = async (share: string[]) => {
      for (let i = 0; i < share.length; i += 10) {
        await applyRetrying(p.client, event.id, share.slice(i, i + 10), (id, r) => told.set(id, r));
        await sleep(60);
      }
    };
    const herd = Promise.all([0, 1, 2, 3].map((w) => worker(ids.filter((_, i) => i % 4 === w))));
    await eventually(async () => (told.size >= 100 ? true : undefined), 20_000, 'the herd under way');
    // The issuer is away meanwhile (a rebalance, a restart): applications pile up in Kafka, undecided, so
    // only the gate can tell that Redis went back in time.
    await p.stopIssuer();
    const snapshot = { state: await redis.dumpBuffer(keys.state), apps: await redis.dumpBuffer(keys.apps) };
    const toldBefore = told.size;
    await sleep(500);
    const toldAtRestore = told.size;
    await redis.restore(keys.state, 0, snapshot.state as Buffer, 'REPLACE');
    await redis.restore(keys.apps, 0, snapshot.apps as Buffer, 'REPLACE');
    await sleep(1_000);
    await p.startIssuer();
    await herd;
    // The rewind happened mid-herd: answers were given after the snapshot, and after the restore.
    expect(toldAtRestore).toBeGreaterThan(toldBefore);
    expect(told.size).toBe(applicants);
    expect(toldAtRestore).toBeLessThan(applicants);

    // No position handed out twice.
    const positions = [...told.values()].map((r) => r.application?.position ?? 0);
    expect(new Set(positions).size).toBe(applicants);

    // Drained: every applicant decided in MySQL, the stock issued exactly, no position twice there either.
    await eventually(
      async () =>
        (await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id])) === applicants ? true : undefined,
      40_000,
      'every applicant decided',
    );
    expect(await p.count('SELECT COUNT(*) n FROM gifts WHERE event_id = ?', [event.id])).toBe(stock);
    expect(await p.count('SELECT COUNT(DISTINCT position) n FROM applications WHERE event_id = ?', [event.id])).toBe(applicants);

    // Every status told is still there, through the API: SOLD_OUT stays SOLD_OUT, an accepted one is decided,
    // at the position it was told.
    for (const [id, answer] of told) {
      const { application } = await callUnary(p.client.getApplication.bind(p.client), { eventId: event.id, participantId: id });
      expect({ id, status: application?.status, position: application?.position }).toEqual({
        id,
        status:
          answer.outcome === ApplyOutcome.APPLY_OUTCOME_SOLD_OUT
            ? ApplicationStatus.APPLICATION_STATUS_SOLD_OUT
            : (application?.status ?? 'missing'),
        position: answer.application?.position,
      });
      expect([ApplicationStatus.APPLICATION_STATUS_ISSUED, ApplicationStatus.APPLICATION_STATUS_SOLD_OUT]).toContain(
        application?.status,
      );
    }
  }, 90_000);
});
