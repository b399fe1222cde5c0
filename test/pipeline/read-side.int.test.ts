import { callUnary } from '@fcfs/kit';
import { eventKeys } from '@fcfs/stock';
import { ApplicationStatus, ApplyOutcome, EventStatus, type Decision, type WatchEventResponse } from '@fcfs/proto';
import { Redis } from 'ioredis';
import { eventually, urls } from '../support';
import { startPipeline, type Pipeline } from './harness';

// The read side of the line: live streams, application status, stats, gifts and decisions.
describe('reading the line', () => {
  let p: Pipeline;
  const redis = new Redis(urls.redis);

  beforeAll(async () => {
    p = await startPipeline({ issuer: false });
  });
  afterAll(async () => {
    await p?.stop();
    redis.disconnect();
  });

  const subscribers = async (channel: string) => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]);

  it('streams every decision and the progress to every watcher over one Redis subscription, and counts who is ahead', async () => {
    const event = await p.createOpenEvent(3);
    const channel = eventKeys(p.prefix, event.id).channel;
    const watch = () => {
      const updates: WatchEventResponse[] = [];
      const stream = p.client.watchEvent({ eventId: event.id });
      stream.on('data', (u: WatchEventResponse) => updates.push(u));
      stream.on('error', () => undefined);
      return { updates, stream };
    };
    const a = watch();
    const b = watch();
    await eventually(async () =>
      (await subscribers(channel)) === 1 && a.updates.length > 0 && b.updates.length > 0 ? true : undefined,
    );
    expect(a.updates[0]?.update?.$case).toBe('progress');

    for (const id of ['1', '2', '3', '4', '5']) await p.apply(event.id, id);
    const { application: third } = await callUnary(p.client.getApplication.bind(p.client), {
      eventId: event.id,
      participantId: '3',
    });
    expect(third).toMatchObject({ status: ApplicationStatus.APPLICATION_STATUS_PENDING, position: 3, ahead: 2 });
    const { stats } = await callUnary(p.client.getEventStats.bind(p.client), { eventId: event.id }, { metadata: p.admin() });
    expect(stats).toMatchObject({ stock: 3, remaining: 3, admitted: 3, pending: 3, issued: 0, soldOut: 2 });
    expect(stats?.lag).toBeGreaterThanOrEqual(0);

    await p.startIssuer();
    const decisionsOf = (updates: WatchEventResponse[]) =>
      updates.flatMap((u) => (u.update?.$case === 'decisions' ? u.update.value.decisions : [])) as Decision[];
    for (const w of [a, b]) {
      const decisions = await eventually(() => {
        const d = decisionsOf(w.updates);
        return d.length === 5 ? d : undefined;
      });
      expect(decisions.map((d) => [d.participantId, d.status])).toEqual([
        ['1', ApplicationStatus.APPLICATION_STATUS_ISSUED],
        ['2', ApplicationStatus.APPLICATION_STATUS_ISSUED],
        ['3', ApplicationStatus.APPLICATION_STATUS_ISSUED],
        ['4', ApplicationStatus.APPLICATION_STATUS_SOLD_OUT],
        ['5', ApplicationStatus.APPLICATION_STATUS_SOLD_OUT],
      ]);
      const last = w.updates.filter((u) => u.update?.$case === 'progress').pop();
      expect(last?.update?.value).toMatchObject({ decidedThrough: 5, issued: 3, remaining: 0 });
    }

    a.stream.cancel();
    expect(await subscribers(channel)).toBe(1);
    b.stream.cancel();
    await eventually(async () => ((await subscribers(channel)) === 0 ? true : undefined));

    const after = await eventually(async () => {
      const { stats: s } = await callUnary(p.client.getEventStats.bind(p.client), { eventId: event.id }, { metadata: p.admin() });
      return s?.lag === 0 ? s : undefined;
    });
    expect(after).toMatchObject({ remaining: 0, pending: 0, issued: 3, soldOut: 2 });
    const { event: shown } = await callUnary(p.client.getEvent.bind(p.client), { eventId: event.id });
    expect(shown?.status).toBe(EventStatus.EVENT_STATUS_SOLD_OUT);
  });

  it('lists gifts by position in pages and answers decisions', async () => {
    const event = await p.createOpenEvent(5);
    const { results } = await callUnary(p.client.applyBatch.bind(p.client), {
      applications: Array.from({ length: 7 }, (_, i) => ({ eventId: event.id, participantId: String(100 + i) })),
    });
    expect(results).toHaveLength(7);
    await eventually(async () =>
      (await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id])) === 7 ? true : undefined,
    );
    const issuer = p.issuerClient();
    const pages: string[][] = [];
    let pageToken = '';
    do {
      const page = await callUnary(issuer.listGifts.bind(issuer), { eventId: event.id, pageSize: 2, pageToken });
      pages.push(page.gifts.map((g) => `${g.position}:${g.participantId}`));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(pages).toEqual([['1:100', '2:101'], ['3:102', '4:103'], ['5:104']]);

    const { decision } = await callUnary(issuer.getDecision.bind(issuer), { eventId: event.id, participantId: '100' });
    const [gift] = (
      await p.db.sequelize.query('SELECT code FROM gifts WHERE event_id = ? AND participant_id = 100', {
        replacements: [event.id],
      })
    )[0] as {
      code: string;
    }[];
    expect(decision).toMatchObject({ status: ApplicationStatus.APPLICATION_STATUS_ISSUED, position: 1, giftCode: gift?.code });
    const { decision: lost } = await callUnary(issuer.getDecision.bind(issuer), { eventId: event.id, participantId: '106' });
    expect(lost?.status).toBe(ApplicationStatus.APPLICATION_STATUS_SOLD_OUT);
    const { decision: none } = await callUnary(issuer.getDecision.bind(issuer), { eventId: event.id, participantId: '999' });
    expect(none).toBeUndefined();
  });

  it('opens and closes a scheduled event by itself', async () => {
    const opensAtMs = Date.now() + 1_500;
    const closesAtMs = opensAtMs + 2_000;
    const { event } = await callUnary(
      p.client.createEvent.bind(p.client),
      { name: 'Timed', stock: 10, opensAtMs, closesAtMs },
      { metadata: p.admin() },
    );
    const id = event?.id ?? '';
    expect(event?.status).toBe(EventStatus.EVENT_STATUS_SCHEDULED);
    const { events: publicList } = await callUnary(p.client.listEvents.bind(p.client), { includeDrafts: false });
    expect(publicList.some((e) => e.id === id)).toBe(true);
    expect((await p.apply(id, '1')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_NOT_OPEN);
    await new Promise((r) => setTimeout(r, opensAtMs - Date.now() + 50));
    expect((await p.apply(id, '1')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
    expect((await callUnary(p.client.getEvent.bind(p.client), { eventId: id })).event?.status).toBe(
      EventStatus.EVENT_STATUS_OPEN,
    );
    await new Promise((r) => setTimeout(r, closesAtMs - Date.now() + 50));
    expect((await p.apply(id, '2')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_NOT_OPEN);
    expect((await callUnary(p.client.getEvent.bind(p.client), { eventId: id })).event?.status).toBe(
      EventStatus.EVENT_STATUS_CLOSED,
    );
  });
});
