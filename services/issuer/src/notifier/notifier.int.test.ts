import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { createRedis, createSendBudget } from '@fcfs/kit';
import { createSes } from '@fcfs/kit/ses';
import { QueryTypes } from 'sequelize';
import {
  createTestDatabase,
  eventually,
  freePort,
  randomSuffix,
  testLogger,
  urls,
  type TestDatabase,
} from '../../../../test/support';
import { emailsToDomain, insertParticipants, outboxRows, percentile, seedDecidedEvent } from '../../test/outbox';
import { privateSes, type PrivateSes } from '../../test/private-ses';
import { createNotifier, notifierConfigSchema, type NotifierConfig } from './index';

// The emulator has no send rate: tests raise the SES default of 14/s, each config with a send budget of its own.
const configFor = (env: Record<string, string>): NotifierConfig =>
  notifierConfigSchema.parse({
    SES_ENDPOINT: urls.ses,
    SES_SEND_RATE_PER_SECOND: '500',
    SES_SEND_BUDGET_KEY: `test:notifier:${randomSuffix()}:{ses}`,
    NOTIFIER_CONCURRENCY: '32',
    NOTIFIER_POLL_MS: '200',
    ...env,
  });
const startedAt = Date.now();
const emailsFor = (domain: string, endpoint = urls.ses) => emailsToDomain(domain, startedAt, endpoint);

describe('result e-mail notifier (MariaDB + SES emulator)', () => {
  let db: TestDatabase;
  const cleanups: Array<() => Promise<void> | void> = [];
  const redis = createRedis(urls.redis, testLogger('redis'));
  afterAll(() => redis.quit());
  beforeEach(async () => {
    db = await createTestDatabase('fcfs_notifier');
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await db.drop();
  });

  function startNotifier(config: NotifierConfig, notifierId?: string) {
    const ses = createSes(config.ses);
    // E-mails handed to SES (a SendBulkEmail call carries several), and each call's size.
    let sends = 0;
    const callSizes: number[] = [];
    ses.middlewareStack.add(
      (next) => async (args) => {
        const entries = (args.input as { BulkEmailEntries?: unknown[] }).BulkEmailEntries;
        const size = entries?.length ?? 1;
        sends += size;
        callSizes.push(size);
        return next(args);
      },
      { step: 'initialize', name: 'countSends' },
    );
    const notifier = createNotifier({
      sequelize: db.sequelize,
      ses,
      budget: createSendBudget(redis, config.ses.sendBudget),
      logger: testLogger('notifier'),
      config,
      ...(notifierId ? { notifierId } : {}),
    });
    notifier.start();
    cleanups.push(() => ses.destroy());
    cleanups.push(() => notifier.stop());
    return { notifier, ses, sends: () => sends, callSizes };
  }

  const applicantEmails = (n: number, domain: string) => Array.from({ length: n }, (_, i) => `applicant-${i + 1}@${domain}`);

  const allSettled = (eventId: string, status = 'SENT') =>
    eventually(
      async () => {
        const rows = await outboxRows(db.sequelize, eventId);
        return rows.every((r) => r.status === status) ? rows : undefined;
      },
      60_000,
      `every outbox row ${status}`,
    );

  it('tells each of 200 applicants their result exactly once, the 20 winners with their gift code', async () => {
    const domain = `n${randomSuffix()}.example`;
    const { callSizes } = startNotifier(configFor({}));
    const event = await seedDecidedEvent(db.sequelize, {
      emails: applicantEmails(200, domain),
      stock: 20,
      name: `Spring Drop & <Friends>`,
    });

    const rows = await allSettled(event.eventId);
    const emails = await emailsFor(domain);
    expect(emails).toHaveLength(200);
    expect(new Set(emails.map((e) => e.destination.to[0])).size).toBe(200);
    expect(rows.every((r) => r.attempts === 1 && r.claimed_by === null)).toBe(true);

    const gifts = await db.sequelize.query<{ email: string; code: string }>(
      'SELECT p.email, g.code FROM gifts g JOIN participants p ON p.id = g.participant_id WHERE g.event_id = ?',
      { replacements: [event.eventId], type: QueryTypes.SELECT },
    );
    expect(gifts).toHaveLength(20);
    const codeOf = new Map(gifts.map((g) => [g.email, g.code]));
    const allCodes = [...codeOf.values()];
    for (const email of emails) {
      const to = email.destination.to[0] ?? '';
      const code = codeOf.get(to);
      if (code) {
        expect(email.subject).toBe('Your gift code for Spring Drop & <Friends>');
        expect(email.body.text).toContain(`Your gift code: ${code}`);
        expect(email.body.html).toContain(`>${code}</code>`);
      } else {
        expect(email.subject).toBe('Your result for Spring Drop & <Friends>');
        expect(allCodes.some((c) => email.body.text?.includes(c) || email.body.html?.includes(c))).toBe(false);
      }
      expect(email.body.html).toContain('Spring Drop &amp; &lt;Friends&gt;');
    }
    expect(emails.filter((e) => codeOf.has(e.destination.to[0] ?? ''))).toHaveLength(20);
    // SendBulkEmail: several recipients to a call, never more than the 50 SES takes.
    expect(Math.max(...callSizes)).toBeGreaterThan(1);
    expect(Math.max(...callSizes)).toBeLessThanOrEqual(50);
    expect(callSizes.reduce((a, b) => a + b, 0)).toBe(200);

    const ms = rows.map((r) => Number(r.ms_to_send));
    // Reported, not asserted (no timed assertions in tests): the bar is p95 under 2 s.
    process.stdout.write(
      `notifier: 200 result e-mails, decision -> sent p50 ${percentile(ms, 50).toFixed(0)} ms, p95 ${percentile(ms, 95).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms\n`,
    );
  });

  it('never sends an e-mail twice when two notifiers share the outbox', async () => {
    const domain = `n${randomSuffix()}.example`;
    // Five to a call: each replica holds 80 rows at a time (2 x 8 calls x 5), so both have a share of the 300.
    const config = configFor({ NOTIFIER_CONCURRENCY: '8', NOTIFIER_POLL_MS: '50', NOTIFIER_BULK_SIZE: '5' });
    const a = startNotifier(config, 'replica-a');
    const b = startNotifier(config, 'replica-b');
    const first = await seedDecidedEvent(db.sequelize, { emails: applicantEmails(150, domain), stock: 15, name: 'Twin Drop 1' });
    const second = await seedDecidedEvent(db.sequelize, {
      emails: applicantEmails(150, domain).map((e) => `second-${e}`),
      stock: 15,
      name: 'Twin Drop 2',
    });

    await allSettled(first.eventId);
    await allSettled(second.eventId);
    const emails = await emailsFor(domain);
    expect(emails).toHaveLength(300);
    expect(new Set(emails.map((e) => e.destination.to[0])).size).toBe(300);
    // Both took part, and between them handed SES each e-mail exactly once.
    expect(a.sends()).toBeGreaterThan(0);
    expect(b.sends()).toBeGreaterThan(0);
    expect(a.sends() + b.sends()).toBe(300);
  });

  describe('when SES fails', () => {
    let ses: PrivateSes;

    beforeEach(async () => {
      ses = await privateSes();
      cleanups.push(() => ses.stop());
    });

    it('retries while the emulator is down and sends everything once it is back', async () => {
      const domain = `n${randomSuffix()}.example`;
      const config = configFor({
        SES_ENDPOINT: ses.endpoint,
        NOTIFIER_POLL_MS: '100',
        NOTIFIER_RETRY_BASE_MS: '100',
        NOTIFIER_RETRY_MAX_MS: '800',
        NOTIFIER_MAX_ATTEMPTS: '100',
      });
      await ses.start();
      startNotifier(config);
      const before = await seedDecidedEvent(db.sequelize, { emails: applicantEmails(10, domain), stock: 2, name: 'Before' });
      await allSettled(before.eventId);
      expect(await emailsFor(domain, ses.endpoint)).toHaveLength(10);

      await ses.stop();
      const during = await seedDecidedEvent(db.sequelize, {
        emails: applicantEmails(30, domain).map((e) => `during-${e}`),
        stock: 0,
        name: 'During',
      });
      await eventually(
        async () => {
          const rows = await outboxRows(db.sequelize, during.eventId);
          return rows.every((r) => r.status === 'PENDING' && r.attempts >= 3 && /ECONNREFUSED/.test(r.last_error ?? ''))
            ? rows
            : undefined;
        },
        30_000,
        'rows retried while SES is down',
      );

      await ses.start();
      const rows = await allSettled(during.eventId);
      const emails = await emailsFor(domain, ses.endpoint);
      expect(emails).toHaveLength(30);
      expect(new Set(emails.map((e) => e.destination.to[0])).size).toBe(30);
      expect(emails.every((e) => e.destination.to[0]?.startsWith('during-'))).toBe(true);
      expect(rows.every((r) => r.attempts >= 3)).toBe(true);
    });

    it('ends a row FAILED with its reason: at once when SES rejects it, after the last try when SES never answers', async () => {
      const domain = `n${randomSuffix()}.example`;
      await ses.start();
      // The emulator answers 400 (BadRequest) to a message without a sender: a permanent rejection.
      const senderless = configFor({ SES_ENDPOINT: ses.endpoint });
      const rejecting = startNotifier({ ...senderless, ses: { ...senderless.ses, from: '' } });
      const rejected = await seedDecidedEvent(db.sequelize, { emails: applicantEmails(3, domain), stock: 1, name: 'Rejected' });
      for (const row of await allSettled(rejected.eventId, 'FAILED')) {
        expect(row.attempts).toBe(1);
        expect(row.last_error).toMatch(/HTTP 400: Bad Request Exception/);
      }

      await rejecting.notifier.stop();
      const refused = await freePort();
      startNotifier(
        configFor({
          SES_ENDPOINT: `http://127.0.0.1:${refused}`,
          NOTIFIER_POLL_MS: '50',
          NOTIFIER_RETRY_BASE_MS: '50',
          NOTIFIER_RETRY_MAX_MS: '100',
          NOTIFIER_MAX_ATTEMPTS: '3',
        }),
      );
      const unreachable = await seedDecidedEvent(db.sequelize, {
        emails: applicantEmails(5, domain).map((e) => `refused-${e}`),
        stock: 1,
        name: 'Unreachable',
      });
      for (const row of await allSettled(unreachable.eventId, 'FAILED')) {
        expect(row.attempts).toBe(3);
        expect(row.last_error).toMatch(/ECONNREFUSED/);
      }
      expect(await emailsFor(domain, ses.endpoint)).toHaveLength(0);
    });
  });

  it('fails a row it can never send without trying SES, and sends the others', async () => {
    const domain = `n${randomSuffix()}.example`;
    startNotifier(configFor({}));
    const event = await seedDecidedEvent(db.sequelize, {
      emails: ['not-an-address', ...applicantEmails(2, domain)],
      stock: 1,
      name: 'Mixed',
    });
    const rows = await eventually(async () => {
      const all = await outboxRows(db.sequelize, event.eventId);
      return all.every((r) => r.status !== 'PENDING') ? all : undefined;
    });
    expect(rows.map((r) => [r.status, r.attempts, r.last_error])).toEqual([
      ['FAILED', 1, 'invalid recipient address'],
      ['SENT', 1, null],
      ['SENT', 1, null],
    ]);
    expect(await emailsFor(domain)).toHaveLength(2);
  });

  it('takes over the rows of a replica that died holding them once their lease ends, resending at most those', async () => {
    const domain = `n${randomSuffix()}.example`;
    const event = await seedDecidedEvent(db.sequelize, { emails: applicantEmails(3, domain), stock: 1, name: 'Lease' });
    // A replica claimed every row, sent the first e-mail, and died before recording it.
    const [first] = event.applicants;
    const deadReplicaSes = createSes(configFor({}).ses);
    cleanups.push(() => deadReplicaSes.destroy());
    await deadReplicaSes.send(
      new SendEmailCommand({
        FromEmailAddress: 'noreply@fcfs.local',
        Destination: { ToAddresses: [first?.email ?? ''] },
        Content: { Simple: { Subject: { Data: 'first try' }, Body: { Text: { Data: 'first try' } } } },
      }),
    );
    await db.sequelize.query(
      `UPDATE outbox SET claimed_by = 'dead-replica#1', claim_expires_at = NOW(3) + INTERVAL 4 SECOND, attempts = 1
        WHERE event_id = ?`,
      { replacements: [event.eventId] },
    );

    const { notifier } = startNotifier(configFor({ NOTIFIER_POLL_MS: '100' }));
    notifier.wake();
    await new Promise((r) => setTimeout(r, 500));
    expect(
      (await outboxRows(db.sequelize, event.eventId)).every((r) => r.status === 'PENDING' && r.claimed_by === 'dead-replica#1'),
    ).toBe(true);

    const rows = await allSettled(event.eventId);
    expect(rows.every((r) => r.attempts === 2)).toBe(true);
    const emails = await emailsFor(domain);
    expect(emails.filter((e) => e.destination.to[0] === first?.email)).toHaveLength(2);
    expect(emails).toHaveLength(4);
  });

  it('hands back the rows it has not tried when stopped, for another replica to send at once', async () => {
    const domain = `n${randomSuffix()}.example`;
    // Two e-mails a second: most claimed rows are still waiting for the send budget at stop.
    const slow = startNotifier(configFor({ SES_SEND_RATE_PER_SECOND: '2', NOTIFIER_CONCURRENCY: '4' }), 'slow');
    const event = await seedDecidedEvent(db.sequelize, { emails: applicantEmails(8, domain), stock: 2, name: 'Handover' });
    slow.notifier.wake();
    await eventually(async () =>
      (await outboxRows(db.sequelize, event.eventId)).some((r) => r.status === 'SENT') ? true : undefined,
    );
    await slow.notifier.stop();

    const rows = await outboxRows(db.sequelize, event.eventId);
    const untried = rows.filter((r) => r.status === 'PENDING');
    expect(untried.length).toBeGreaterThan(0);
    expect(untried.every((r) => r.claimed_by === null && r.attempts === 0)).toBe(true);

    startNotifier(configFor({}), 'fast').notifier.wake();
    await allSettled(event.eventId);
    const emails = await emailsFor(domain);
    expect(emails).toHaveLength(8);
    expect(new Set(emails.map((e) => e.destination.to[0])).size).toBe(8);
  });

  it('keeps going when woken while all its slots are busy', async () => {
    const domain = `n${randomSuffix()}.example`;
    // Two rows held at a time, sent one a second apart: a wake() always finds the slots full.
    const { notifier } = startNotifier(
      configFor({ SES_SEND_RATE_PER_SECOND: '4', NOTIFIER_CONCURRENCY: '1', NOTIFIER_POLL_MS: '100' }),
    );
    const event = await seedDecidedEvent(db.sequelize, { emails: applicantEmails(6, domain), stock: 1, name: 'Busy' });
    const waking = setInterval(() => notifier.wake(), 20);
    try {
      await allSettled(event.eventId);
    } finally {
      clearInterval(waking);
    }
    expect(await emailsFor(domain)).toHaveLength(6);
  });

  it('yields to a busy line, trickling at its minimum rate, then sends every e-mail once the line is quiet', async () => {
    const domain = `n${randomSuffix()}.example`;
    const { notifier, sends } = startNotifier(
      configFor({ NOTIFIER_QUIET_MS: '300', NOTIFIER_MIN_RATE_WHILE_BUSY: '4', NOTIFIER_POLL_MS: '50' }),
    );
    // The line commits every 20 ms (as during a herd) while the decisions' outbox rows pile up.
    notifier.lineBusy();
    const busy = setInterval(() => notifier.lineBusy(), 20);
    const busySince = Date.now();
    let sentWhileBusy: number;
    let busyMs: number;
    try {
      const event = await seedDecidedEvent(db.sequelize, { emails: applicantEmails(60, domain), stock: 6, name: 'Herd' });
      // The floor holds: some e-mails go out although the line never went quiet.
      await eventually(
        async () => ((await outboxRows(db.sequelize, event.eventId)).some((r) => r.status === 'SENT') ? true : undefined),
        20_000,
        'a trickled e-mail',
      );
      await new Promise((r) => setTimeout(r, 500));
      sentWhileBusy = sends();
      busyMs = Date.now() - busySince;
    } finally {
      clearInterval(busy);
    }
    // At most one second's saved trickle plus the minimum rate over the busy time: not the 500/s send rate.
    expect(sentWhileBusy).toBeGreaterThanOrEqual(1);
    expect(sentWhileBusy).toBeLessThanOrEqual(4 + Math.ceil((4 * busyMs) / 1000) + 1);
    expect(sentWhileBusy).toBeLessThan(60);

    const rows = await eventually(
      async () => {
        const all = await db.sequelize.query<{ status: string }>('SELECT status FROM outbox', { type: QueryTypes.SELECT });
        return all.length === 60 && all.every((r) => r.status === 'SENT') ? all : undefined;
      },
      60_000,
      'every outbox row SENT after the burst',
    );
    expect(rows).toHaveLength(60);
    const emails = await emailsFor(domain);
    expect(emails).toHaveLength(60);
    expect(new Set(emails.map((e) => e.destination.to[0])).size).toBe(60);
  });

  it('never starves e-mails on a line that never goes quiet', async () => {
    const domain = `n${randomSuffix()}.example`;
    const { notifier } = startNotifier(configFor({ NOTIFIER_QUIET_MS: '60000', NOTIFIER_MIN_RATE_WHILE_BUSY: '10' }));
    notifier.lineBusy();
    const busy = setInterval(() => notifier.lineBusy(), 20);
    try {
      const event = await seedDecidedEvent(db.sequelize, { emails: applicantEmails(12, domain), stock: 2, name: 'Endless' });
      await allSettled(event.eventId);
    } finally {
      clearInterval(busy);
    }
    expect(await emailsFor(domain)).toHaveLength(12);
  });

  it('leaves other kinds of outbox rows alone', async () => {
    const domain = `n${randomSuffix()}.example`;
    const ids = await insertParticipants(db.sequelize, [`other@${domain}`]);
    await db.sequelize.query(
      `INSERT INTO outbox (kind, event_id, participant_id, payload, next_attempt_at, decided_at, created_at)
       VALUES ('SOMETHING_ELSE', 1, ?, '{}', NOW(3), NOW(3), NOW(3))`,
      { replacements: [ids.get(`other@${domain}`)] },
    );
    const { notifier } = startNotifier(configFor({ NOTIFIER_POLL_MS: '50' }));
    notifier.wake();
    await new Promise((r) => setTimeout(r, 400));
    const [row] = await db.sequelize.query<{ status: string; attempts: number }>('SELECT status, attempts FROM outbox', {
      type: QueryTypes.SELECT,
    });
    expect(row).toEqual({ status: 'PENDING', attempts: 0 });
  });
});
