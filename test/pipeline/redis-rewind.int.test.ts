import { callUnary } from '@fcfs/kit';
import { ApplicationStatus, ApplyOutcome, type ApplyResponse } from '@fcfs/proto';
import { eventKeys } from '@fcfs/stock';
import { Redis } from 'ioredis';
import { eventually, urls } from '../support';
import { applyRetrying, startPipeline, type Pipeline } from './harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Issue 12: Redis goes back in time with its state present (a lagging replica promoted, an older snapshot
// loaded). Here the event's keys (this test's own prefix) are restored to what they were half a second
// earlier, in the middle of the herd. MySQL is the authority: nobody loses a status they were told, no position
// is handed out twice, and the stock is issued exactly.
describe('Redis restored to an older state mid-herd', () => {
  let p: Pipeline;
  const redis = new Redis(urls.redis);
  beforeAll(async () => {
    p = await startPipeline();
  });
  afterAll(async () => {
    redis.disconnect();
    await p?.stop();
  });

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
