import { callUnary } from '@fcfs/kit';
import { ApplyOutcome } from '@fcfs/proto';
import { emailsTo, eventually, randomSuffix } from '../support';
import { startPipeline, type Pipeline } from './harness';

// The whole line with the issuer's own notifier: every applicant gets the result e-mail from the outbox.
describe('result e-mails through the outbox (SES v2 emulator)', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ notifier: true });
  });
  afterAll(() => p?.stop());

  it('sends the winner its gift code and the others their SOLD_OUT result', async () => {
    const event = await p.createOpenEvent(1, `Mail drop ${randomSuffix()}`);
    const tag = randomSuffix();
    const people = ['win', 'lose', 'gate'].map((who) => ({ who, email: `${who}-${tag}@fcfs.test` }));
    const ids: string[] = [];
    for (const person of people) {
      const [id] = await p.db.sequelize.query('INSERT INTO participants (email, created_at) VALUES (?, NOW(3))', {
        replacements: [person.email],
      });
      ids.push(String(id));
    }
    expect((await p.apply(event.id, ids[0] ?? '')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
    expect((await p.apply(event.id, ids[1] ?? '')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_SOLD_OUT);
    expect((await p.apply(event.id, ids[2] ?? '')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_SOLD_OUT);

    const [gift] = (await eventually(async () => {
      const [rows] = await p.db.sequelize.query('SELECT code FROM gifts WHERE event_id = ?', { replacements: [event.id] });
      return (rows as unknown[]).length === 1 ? rows : undefined;
    })) as { code: string }[];
    for (const person of people) {
      const [mail] = await eventually(
        async () => {
          const mails = await emailsTo(person.email);
          return mails.length > 0 ? mails : undefined;
        },
        30_000,
        `the result e-mail to ${person.who}`,
      );
      const body = `${mail?.subject ?? ''} ${mail?.body.text ?? ''}`;
      if (person.who === 'win') expect(body).toContain(gift?.code);
      else expect(body).not.toContain(gift?.code);
    }
    // The organiser's counters read the same outbox: every applicant's e-mail sent, none left, none failed.
    const stats = await eventually(async () => {
      const { stats: s } = await callUnary(p.client.getEventStats.bind(p.client), { eventId: event.id }, { metadata: p.admin() });
      return s?.emailsSent === people.length ? s : undefined;
    });
    expect(stats).toMatchObject({ emailsSent: people.length, emailsPending: 0, emailsFailed: 0 });
  });
});
