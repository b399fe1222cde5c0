import { ApplyOutcome } from '@fcfs/proto';
import { eventKeys } from '@fcfs/stock';
import { Redis } from 'ioredis';
import { emailsTo, eventually, randomSuffix } from '../../../test/support';
import { startPipeline, type Pipeline } from '../../../test/pipeline/harness';
import { runCaptured } from './run';

// emails, reconcile and winners against the real parts: the event service and the issuer (with its real
// notifier and the SES emulator) in-process on their own database, topic and Redis prefix.
describe('ops emails, reconcile, winners (real Kafka, Redis, MariaDB, SES emulator)', () => {
  let p: Pipeline;
  let env: Record<string, string>;
  let redis: Redis;
  const ops = (...argv: string[]) => runCaptured(argv, env);
  const address = (id: string) => `ops-${id}-${randomSuffix()}@fcfs.test`;

  const addParticipants = async (emails: Map<string, string>) => {
    for (const [id, email] of emails) {
      await p.db.sequelize.query('INSERT INTO participants (id, email, created_at) VALUES (?, ?, UTC_TIMESTAMP(3))', {
        replacements: [id, email],
      });
    }
  };
  /** Opens an event and applies the participants in this order, until every application is decided. */
  const decidedEvent = async (stock: number, participants: string[]) => {
    const event = await p.createOpenEvent(stock, `Ops drop ${randomSuffix()}`);
    const outcomes = [];
    for (const id of participants) outcomes.push((await p.apply(event.id, id)).outcome);
    // Past the stock the gate answers SOLD_OUT itself; the issuer still records those.
    expect(outcomes).toEqual(
      participants.map((_, i) => (i < stock ? ApplyOutcome.APPLY_OUTCOME_ACCEPTED : ApplyOutcome.APPLY_OUTCOME_SOLD_OUT)),
    );
    await eventually(async () =>
      (await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id])) === participants.length
        ? true
        : undefined,
    );
    return event.id;
  };
  const outboxStatuses = async (eventId: string) => {
    const [rows] = await p.db.sequelize.query('SELECT status, COUNT(*) n FROM outbox WHERE event_id = ? GROUP BY status', {
      replacements: [eventId],
    });
    return Object.fromEntries((rows as { status: string; n: number }[]).map((r) => [r.status, Number(r.n)]));
  };

  beforeAll(async () => {
    p = await startPipeline({ partitions: 1, notifier: true });
    env = { ...p.env, ISSUER_ADDRESS: `127.0.0.1:${p.issuer?.grpcPort ?? 0}` };
    redis = new Redis(p.env.REDIS_URL);
  });
  afterAll(async () => {
    redis?.disconnect();
    await p?.stop();
  });

  it('emails: lists FAILED result e-mails and hands them back to the notifier, which sends them', async () => {
    // Participants unknown to MySQL: their e-mails fail for good, as an unknown address would.
    const ids = ['900001', '900002', '900003'];
    const eventId = await decidedEvent(2, ids);
    await eventually(async () => ((await outboxStatuses(eventId))['FAILED'] === 3 ? true : undefined), 30_000, 'three FAILED');

    const failed = await ops('emails', 'failed', '--event', eventId);
    expect(failed.code).toBe(0);
    expect(failed.out).toEqual(
      ids.map((id) =>
        expect.stringMatching(
          new RegExp(`^\\d+  event=${eventId} participant=${id} \\(no such participant\\)  attempts=1  .*not found`),
        ),
      ),
    );
    expect(failed.err).toEqual([`3 FAILED result e-mails for event ${eventId}; showing 3`]);
    expect((await ops('emails', 'failed', '--event', '999999')).out).toEqual([]);

    // The cause fixed, one row first (dry run, then for real), then the rest of the event.
    const emails = new Map(ids.map((id) => [id, address(id)]));
    await addParticipants(emails);
    const firstId = (failed.out[0] ?? '').split(' ')[0] ?? '';
    const dry = await ops('emails', 'redrive', '--event', eventId, '--id', firstId, '--dry-run');
    expect(dry.out).toEqual([
      expect.stringMatching(new RegExp(`^would redrive ${firstId}  event=${eventId} participant=900001 `)),
    ]);
    expect(await outboxStatuses(eventId)).toEqual({ FAILED: 3 });

    expect((await ops('emails', 'redrive', '--id', firstId)).err).toEqual([
      '1 FAILED result e-mails handed back to the notifier (PENDING, due now)',
    ]);
    await eventually(
      async () => ((await emailsTo(emails.get('900001') ?? '')).length === 1 ? true : undefined),
      30_000,
      'the e-mail',
    );
    expect(await outboxStatuses(eventId)).toEqual({ FAILED: 2, SENT: 1 });

    expect((await ops('emails', 'redrive', '--event', eventId)).err[0]).toMatch(/^2 FAILED result e-mails handed back/);
    await eventually(async () => ((await outboxStatuses(eventId))['SENT'] === 3 ? true : undefined), 30_000, 'every e-mail sent');
    for (const email of emails.values()) expect(await emailsTo(email)).toHaveLength(1);
    const [rows] = await p.db.sequelize.query('SELECT attempts FROM outbox WHERE event_id = ?', { replacements: [eventId] });
    expect((rows as { attempts: number }[]).map((r) => r.attempts)).toEqual([1, 1, 1]);
    // Nothing FAILED is left: a second redrive touches nothing.
    expect((await ops('emails', 'redrive', '--event', eventId)).err[0]).toMatch(/^0 FAILED result e-mails handed back/);
  });

  it('winners: exports the winners in line order as CSV or JSON', async () => {
    const ids = ['800001', '800002', '800003', '800004', '800005'];
    const emails = new Map(ids.map((id) => [id, address(id)]));
    emails.set('800003', `"odd, but valid"@fcfs.test`);
    await addParticipants(emails);
    const eventId = await decidedEvent(3, ids);
    await p.db.sequelize.query('UPDATE gifts SET redeemed_at = UTC_TIMESTAMP(3) WHERE event_id = ? AND participant_id = 800002', {
      replacements: [eventId],
    });
    const [gifts] = await p.db.sequelize.query('SELECT participant_id, code FROM gifts WHERE event_id = ? ORDER BY position', {
      replacements: [eventId],
    });
    const codes = (gifts as { participant_id: number; code: string }[]).map((g) => [String(g.participant_id), g.code]);
    expect(codes.map(([id]) => id)).toEqual(['800001', '800002', '800003']);

    const csv = await ops('winners', '--event', eventId);
    expect(csv.code).toBe(0);
    const iso = '\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z';
    expect(csv.out).toEqual([
      'position,participant_id,email,gift_code,issued_at,redeemed_at',
      expect.stringMatching(new RegExp(`^1,800001,${emails.get('800001')},${codes[0]?.[1]},${iso},$`)),
      expect.stringMatching(new RegExp(`^2,800002,${emails.get('800002')},${codes[1]?.[1]},${iso},${iso}$`)),
      expect.stringMatching(new RegExp(`^3,800003,"""odd, but valid""@fcfs.test",${codes[2]?.[1]},${iso},$`)),
    ]);
    expect(csv.err).toEqual([`3 winners of event ${eventId}`]);

    const json = await ops('winners', '--event', eventId, '--format', 'json');
    const winners = JSON.parse(json.out.join('\n')) as Record<string, unknown>[];
    expect(winners.map((w) => [w['position'], w['participantId'], w['email'], w['giftCode']])).toEqual(
      codes.map(([id, code], i) => [i + 1, id, emails.get(id ?? ''), code]),
    );
    expect(winners[1]).toMatchObject({ redeemedAt: expect.stringMatching(new RegExp(iso)) });
    expect(winners[0]).toMatchObject({ redeemedAt: null });

    expect(await ops('winners', '--event', '999999')).toMatchObject({
      code: 1,
      out: [],
      err: ['ops winners failed: event 999999 does not exist'],
    });
  });

  it('reconcile: finds Redis and MySQL apart, and --fix rebuilds Redis from MySQL (also after a loss)', async () => {
    const eventId = await decidedEvent(2, ['700001', '700002', '700003']);
    const keys = eventKeys(p.prefix, eventId);
    const ok = await ops('reconcile', '--event', eventId);
    expect(ok).toMatchObject({ code: 0, err: [] });
    expect(ok.out).toEqual([
      'consistent: true',
      'stock: 2',
      'issued: mysql 2, redis 2 (remaining in redis 0)',
      'applications: mysql 3, redis 3',
    ]);

    // A decision lost and a counter wrong.
    await redis.hdel(keys.apps, '700002');
    await redis.hset(keys.state, 'issued', '1');
    const apart = await ops('reconcile', '--event', eventId);
    expect(apart.code).toBe(3);
    expect(apart.out).toContain('issued: mysql 2, redis 1 (remaining in redis 1)');
    expect(apart.out).toContainEqual(expect.stringMatching(/^participant 700002: redis missing, mysql ISSUED@2:[\w-]+$/));
    expect(apart.err).toEqual([`event ${eventId}: Redis and MySQL differ; --fix rebuilds Redis from MySQL`]);

    const fixed = await ops('reconcile', '--event', eventId, '--fix');
    expect(fixed.code).toBe(0);
    expect(fixed.out.slice(fixed.out.indexOf('after the rebuild:'))).toEqual([
      'after the rebuild:',
      'consistent: true',
      'stock: 2',
      'issued: mysql 2, redis 2 (remaining in redis 0)',
      'applications: mysql 3, redis 3',
    ]);
    expect(fixed.err).toEqual([`rebuilt event ${eventId}'s Redis state from MySQL`]);
    expect(await redis.hget(keys.state, 'seq')).toBe('3');

    // Redis lost the event altogether.
    await redis.del(keys.state, keys.apps);
    expect((await ops('reconcile', '--event', eventId)).code).toBe(3);
    expect((await ops('reconcile', '--event', eventId, '--fix')).code).toBe(0);
    expect(await redis.hlen(keys.apps)).toBe(3);
    // The line goes on after the fix: the next applicant gets the next position, and it is sold out.
    const late = await p.apply(eventId, '700004');
    expect(late.outcome).toBe(ApplyOutcome.APPLY_OUTCOME_SOLD_OUT);
  });

  it('says what is wrong, never with a stack: bad arguments, configuration, an unknown event, the issuer away', async () => {
    const usage = await ops('reconcile');
    expect(usage.code).toBe(2);
    expect(usage.err[0]).toMatch(/^ops: --event is required\n\nusage: /);
    expect(await runCaptured(['winners', '--event', '1'], { ...env, MYSQL_URL: 'not a url' })).toMatchObject({
      code: 1,
      err: [expect.stringMatching(/^ops: invalid configuration:\n {2}MYSQL_URL: /)],
    });
    expect(await ops('reconcile', '--event', '999999')).toMatchObject({
      code: 1,
      err: ['ops reconcile failed: event 999999 does not exist'],
    });
    const away = await runCaptured(['reconcile', '--event', '1'], { ...env, ISSUER_ADDRESS: '127.0.0.1:1' });
    expect(away.code).toBe(1);
    expect(away.err[0]).toMatch(/^ops reconcile failed: the issuer at 127\.0\.0\.1:1 did not answer \(ISSUER_ADDRESS\)/);
  });
});
