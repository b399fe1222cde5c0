import { callUnary } from '@fcfs/kit';
import { ApplyOutcome } from '@fcfs/proto';
import { eventKeys } from '@fcfs/stock';
import { Redis } from 'ioredis';
import { eventually, urls } from '../support';
import { applyRetrying, startPipeline, type Pipeline } from './harness';

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
});
