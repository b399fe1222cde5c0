import { callUnary } from '@fcfs/kit';
import { eventKeys, parseEntry, readHotState } from '@fcfs/stock';
import { ApplicationStatus, ApplyOutcome } from '@fcfs/proto';
import { Redis } from 'ioredis';
import { eventually, urls } from '../support';
import { startPipeline, type Pipeline } from './harness';

// Test 1 and 2 of the issue: the herd against a small stock, and one participant applying many times.
describe('the apply pipeline under a herd (real Kafka, Redis, MariaDB)', () => {
  let p: Pipeline;

  /** Waits until every application is decided in MySQL, and prints how long answering and deciding took. */
  const drainAndReport = async (label: string, eventId: string, total: number, started: number) => {
    const answered = Date.now();
    await eventually(
      async () =>
        (await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [eventId])) === total ? true : undefined,
      60_000,
      'every application decided in MySQL',
    );
    const decided = Date.now();
    const rate = (ms: number) => Math.round((total * 1000) / ms);
    process.stdout.write(
      `${label}: ${total} applies answered in ${answered - started} ms (${rate(answered - started)}/s); ` +
        `last decision ${decided - started} ms after the first apply (${rate(decided - started)} decisions/s)\n`,
    );
  };
  const redis = new Redis(urls.redis);

  beforeAll(async () => {
    p = await startPipeline();
  });
  afterAll(async () => {
    await p?.stop();
    redis.disconnect();
  });

  it('10,000 applicants, 100 at a time, stock 100: exactly 100 ISSUED, 9,900 SOLD_OUT, winners hold the lowest positions', async () => {
    const event = await p.createOpenEvent(100);
    const total = 10_000;
    const outcomes = new Map<ApplyOutcome, number>();
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next < total) {
          const participantId = String(++next);
          const { outcome } = await p.apply(event.id, participantId);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
      }),
    );
    await drainAndReport('test 1', event.id, total, started);

    expect(outcomes.get(ApplyOutcome.APPLY_OUTCOME_ACCEPTED)).toBe(100);
    expect(outcomes.get(ApplyOutcome.APPLY_OUTCOME_SOLD_OUT)).toBe(total - 100);

    const [rows] = await p.db.sequelize.query('SELECT participant_id, status, position FROM applications WHERE event_id = ?', {
      replacements: [event.id],
    });
    const apps = rows as { participant_id: string; status: string; position: number }[];
    expect(apps.filter((a) => a.status === 'ISSUED')).toHaveLength(100);
    expect(apps.filter((a) => a.status === 'SOLD_OUT')).toHaveLength(total - 100);
    expect(await p.count('SELECT COUNT(*) n FROM gifts WHERE event_id = ?', [event.id])).toBe(100);
    expect(await p.count('SELECT COUNT(DISTINCT code) n FROM gifts WHERE event_id = ?', [event.id])).toBe(100);
    expect(await p.count('SELECT COUNT(*) n FROM outbox WHERE event_id = ?', [event.id])).toBe(total);
    const positions = apps.map((a) => a.position).sort((a, b) => a - b);
    const winners = apps
      .filter((a) => a.status === 'ISSUED')
      .map((a) => a.position)
      .sort((a, b) => a - b);
    expect(winners).toEqual(positions.slice(0, 100));
    expect(new Set(positions).size).toBe(total);

    // Redis agrees with MySQL on every decision.
    const keys = eventKeys(p.prefix, event.id);
    const hot = await readHotState(redis, keys);
    expect(hot).toMatchObject({ stock: 100, issued: 100, pending: 0, soldOut: total - 100 });
    const entries = await redis.hgetall(keys.apps);
    const stored = Object.values(entries).map(parseEntry);
    expect(stored.filter((a) => a.status === ApplicationStatus.APPLICATION_STATUS_ISSUED)).toHaveLength(100);
    expect(stored.filter((a) => a.status === ApplicationStatus.APPLICATION_STATUS_SOLD_OUT)).toHaveLength(total - 100);
    const issuer = p.issuerClient();
    const reconciled = await callUnary(issuer.reconcile.bind(issuer), { eventId: event.id });
    expect(reconciled).toMatchObject({
      consistent: true,
      issuedMysql: 100,
      issuedRedis: 100,
      applicationsMysql: total,
      applicationsRedis: total,
    });
    expect(reconciled.differences).toEqual([]);

    const { event: after } = await callUnary(p.client.getEvent.bind(p.client), { eventId: event.id });
    expect(after).toMatchObject({ remaining: 0, status: 4 /* SOLD_OUT */ });
  }, 120_000);

  it('the same herd through ApplyBatch (as the BFF sends it): the same invariants', async () => {
    const event = await p.createOpenEvent(100);
    const total = 10_000;
    let next = 0;
    let accepted = 0;
    const started = Date.now();
    // 100 applications per call, a few calls in flight, as the BFF's coalescer sends them.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < total) {
          const applications = Array.from({ length: 100 }, () => ({
            eventId: event.id,
            participantId: String(100_000 + ++next),
          }));
          const { results } = await callUnary(p.client.applyBatch.bind(p.client), { applications }, { deadlineMs: 30_000 });
          for (const r of results)
            if (r.result?.$case === 'response' && r.result.value.outcome === ApplyOutcome.APPLY_OUTCOME_ACCEPTED) accepted++;
        }
      }),
    );
    await drainAndReport('test 1 via ApplyBatch', event.id, total, started);
    expect(accepted).toBe(100);
    expect(
      await p.count("SELECT COUNT(*) n FROM applications WHERE event_id = ? AND status = 'ISSUED' AND position <= 100", [
        event.id,
      ]),
    ).toBe(100);
    expect(await p.count('SELECT COUNT(*) n FROM gifts WHERE event_id = ?', [event.id])).toBe(100);
  }, 120_000);

  it('one participant applying 300 times at once: one application, one ACCEPTED, 299 ALREADY_APPLIED', async () => {
    const event = await p.createOpenEvent(5);
    const answers = await Promise.all(Array.from({ length: 300 }, () => p.apply(event.id, '4242')));
    const count = (o: ApplyOutcome) => answers.filter((a) => a.outcome === o).length;
    expect(count(ApplyOutcome.APPLY_OUTCOME_ACCEPTED)).toBe(1);
    expect(count(ApplyOutcome.APPLY_OUTCOME_ALREADY_APPLIED)).toBe(299);
    expect(new Set(answers.map((a) => a.application?.position))).toEqual(new Set([1]));
    const decided = await eventually(async () => {
      const { application } = await callUnary(p.client.getApplication.bind(p.client), {
        eventId: event.id,
        participantId: '4242',
      });
      return application?.status === ApplicationStatus.APPLICATION_STATUS_ISSUED ? application : undefined;
    });
    expect(decided.giftCode).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    // Redis holds the decision a moment before the issuer's MySQL transaction commits.
    await eventually(async () =>
      (await p.count('SELECT COUNT(*) n FROM gifts WHERE event_id = ?', [event.id])) === 1 ? true : undefined,
    );
    expect(await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id])).toBe(1);
  });
});
