import { callUnary } from '@fcfs/kit';
import { ApplyOutcome } from '@fcfs/proto';
import { Redis } from 'ioredis';
import { eventually } from '../support';
import { applyRetrying, startPipeline, type Pipeline } from './harness';
import { startPrivateRedis, type PrivateRedis } from './private-infra';

// Test 4 of the issue: Redis loses everything in the middle of an event (on a private redis-server).
describe('Redis flushed in the middle of an event', () => {
  let redisServer: PrivateRedis;
  let p: Pipeline;

  beforeAll(async () => {
    redisServer = await startPrivateRedis();
    p = await startPipeline({ redisUrl: redisServer.url });
  });
  afterAll(async () => {
    await p?.stop();
    await redisServer?.stop();
  });

  it('still ends with exactly `stock` gifts, no duplicates, and every accepted application decided', async () => {
    const stock = 300;
    const event = await p.createOpenEvent(stock);
    const accepted = new Set<string>();
    const applied = new Set<string>();
    // Clients retry UNAVAILABLE (the line is held after each rebuild until the issuer drained Kafka).
    const applyRange = (from: number, to: number) =>
      applyRetrying(
        p.client,
        event.id,
        Array.from({ length: to - from }, (_, k) => String(from + k)),
        (id, r) => {
          applied.add(id);
          if (r.outcome === ApplyOutcome.APPLY_OUTCOME_ACCEPTED) accepted.add(id);
        },
      );

    const flusher = new Redis(redisServer.url);
    await applyRange(1, 201);
    await flusher.flushall();
    // Newcomers, and the first 200 applying again, while the issuer still works through the line;
    // Redis loses everything once more in the middle of it.
    await Promise.all([
      applyRange(201, 801),
      applyRange(1, 201),
      new Promise((r) => setTimeout(r, 150)).then(() => flusher.flushall()),
    ]);
    flusher.disconnect();

    await eventually(
      async () => {
        const decided = await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id]);
        return decided === applied.size ? true : undefined;
      },
      60_000,
      'every applicant decided in MySQL',
    );
    expect(await p.count('SELECT COUNT(*) n FROM gifts WHERE event_id = ?', [event.id])).toBe(stock);
    expect(await p.count('SELECT COUNT(DISTINCT participant_id) n FROM gifts WHERE event_id = ?', [event.id])).toBe(stock);
    expect(await p.count('SELECT COUNT(DISTINCT code) n FROM gifts WHERE event_id = ?', [event.id])).toBe(stock);
    const [rows] = await p.db.sequelize.query('SELECT participant_id FROM applications WHERE event_id = ?', {
      replacements: [event.id],
    });
    const decided = new Set((rows as { participant_id: string | number }[]).map((r) => String(r.participant_id)));
    for (const id of accepted) expect(decided.has(id)).toBe(true);

    const issuer = p.issuerClient();
    const reconciled = await eventually(
      async () => {
        const r = await callUnary(issuer.reconcile.bind(issuer), { eventId: event.id });
        return r.consistent ? r : undefined;
      },
      30_000,
      'Redis and MySQL agreeing',
    );
    expect(reconciled).toMatchObject({ issuedMysql: stock, issuedRedis: stock });
  }, 120_000);
});
