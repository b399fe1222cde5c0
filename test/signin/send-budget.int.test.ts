// The platform's one SES send budget, shared by the auth service's codes and the issuer's result
// e-mails (real Redis, MariaDB and SES emulator): spent, it answers RATE_LIMITED with a retry-after
// that works; and a person waiting for a code never waits behind the drain of a line.
import { setTimeout as sleep } from 'node:timers/promises';
import { createSendBudget, GrpcStatus } from '@fcfs/kit';
import { createSes } from '@fcfs/kit/ses';
import { createNotifier, notifierConfigSchema, type Notifier } from '@fcfs/issuer';
import { Redis } from 'ioredis';
import { QueryTypes } from 'sequelize';
import { outboxRows, seedDecidedEvent } from '../../services/issuer/test/outbox';
import { eventually, randomSuffix, testLogger, urls } from '../support';
import { codeFor, createShared, failure, randomAddress, startTestAuth, type Shared, type TestAuth } from '../support/auth';

const RATE = 5;

describe('one SES send budget for codes and result e-mails', () => {
  let shared: Shared;
  let auth: TestAuth;
  let budgetEnv: Record<string, string>;
  const redis = new Redis(urls.redis);

  beforeAll(async () => {
    shared = await createShared();
    budgetEnv = { SES_SEND_RATE_PER_SECOND: String(RATE), SES_SEND_BUDGET_KEY: `${shared.prefix}{ses}:send-budget` };
    // A code may wait up to half of its two seconds for a queued token.
    auth = await startTestAuth(shared, { ...budgetEnv, AUTH_SEND_COOLDOWN_SECONDS: '0', AUTH_SEND_TIMEOUT_MS: '2000' });
  });
  afterAll(async () => {
    await auth?.stop();
    await shared?.cleanup();
    await redis.quit();
  });

  it('answers RATE_LIMITED once the budget is spent, with a retry-after after which the send goes', async () => {
    const emails = Array.from({ length: 16 }, () => randomAddress('herd'));
    const answers = await Promise.all(
      emails.map((email, i) =>
        failure(auth.send(email, `198.51.100.${i}`)).then(
          (err) => ({ email, err }),
          () => ({ email, err: undefined }),
        ),
      ),
    );
    const refused = answers.filter((a) => a.err !== undefined);
    // Five tokens at once (one second of the rate), about five queued within the second a code may wait.
    expect(answers.length - refused.length).toBeGreaterThanOrEqual(RATE);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const { err } of refused) {
      expect(err).toMatchObject({ code: GrpcStatus.RESOURCE_EXHAUSTED, reason: 'RATE_LIMITED' });
      expect(err?.message).toContain('send rate');
      expect(err?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(err?.retryAfterSeconds).toBeLessThanOrEqual(2);
    }
    const [first] = refused;
    await sleep((first?.err?.retryAfterSeconds ?? 0) * 1000);
    await auth.send(first?.email ?? '', '198.51.100.200');
    await expect(codeFor(first?.email ?? '')).resolves.toMatch(/^\d{6}$/);
  });

  it('serves codes before queued result e-mails, both within the one rate', async () => {
    // A full bucket again.
    await sleep(1_500);
    const domain = `r${randomSuffix()}.example`;
    const results = 30;
    const event = await seedDecidedEvent(shared.db.sequelize, {
      emails: Array.from({ length: results }, (_, i) => `applicant-${i}@${domain}`),
      stock: 5,
      name: 'Queued results',
    });
    const config = notifierConfigSchema.parse({ SES_ENDPOINT: urls.ses, NOTIFIER_POLL_MS: '100', ...budgetEnv });
    const ses = createSes(config.ses);
    let notifier: Notifier | undefined;
    try {
      notifier = createNotifier({
        sequelize: shared.db.sequelize,
        ses,
        budget: createSendBudget(redis, config.ses.sendBudget),
        logger: testLogger('notifier'),
        config,
      });
      notifier.start();
      notifier.wake();
      const sentAt = async () =>
        (
          await shared.db.sequelize.query<{ sent_at: Date }>(
            `SELECT sent_at FROM outbox WHERE event_id = ? AND status = 'SENT'`,
            { replacements: [event.eventId], type: QueryTypes.SELECT },
          )
        ).map((r) => r.sent_at.getTime());
      await eventually(async () => ((await sentAt()).length > 0 ? true : undefined), 10_000, 'the first result e-mail');

      // A sign-in wave of four a second for three seconds while the results drain at what is left.
      const waveStart = Date.now();
      const latencies: number[] = [];
      for (let i = 0; i < 12; i++) {
        const at = Date.now();
        await auth.send(randomAddress('wave'), `203.0.113.${i}`);
        latencies.push(Date.now() - at);
        await sleep(Math.max(0, waveStart + (i + 1) * 250 - Date.now()));
      }
      const waveEnd = Date.now();

      // No code waited behind the 30 results (six seconds of the whole rate).
      expect(Math.max(...latencies)).toBeLessThan(1_000);
      const duringWave = (await sentAt()).filter((t) => t >= waveStart && t <= waveEnd).length;
      // Codes and results together kept to the rate (plus the one second the bucket holds).
      expect(12 + duringWave).toBeLessThanOrEqual(Math.ceil((RATE * (waveEnd - waveStart)) / 1000) + RATE + 1);
      expect((await outboxRows(shared.db.sequelize, event.eventId)).some((r) => r.status === 'PENDING')).toBe(true);

      // Once the wave is over the results take the whole rate, and every one goes.
      await eventually(async () => ((await sentAt()).length === results ? true : undefined), 30_000, 'every result e-mail');
    } finally {
      await notifier?.stop();
      ses.destroy();
    }
  });
});
