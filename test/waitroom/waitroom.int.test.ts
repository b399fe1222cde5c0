import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createDrawStore } from '@fcfs/event';
import { createSequelize } from '@fcfs/kit/mysql';
import { eventKeys } from '@fcfs/stock';
import { Redis } from 'ioredis';
import { QueryTypes } from 'sequelize';
import { eventually, testLogger, urls } from '../support';
import { codeOf, gql, subscribe, wsClient, type Loose, type Subscription } from '../support/graphql';
import { startTestPlatform, type TestPlatform } from '../support/platform';

// The waiting room (issue 17) on the whole platform: real Redis, MariaDB, Kafka; three event-service replicas
// (so three drawers race at every opening), one issuer, the BFF.
jest.setTimeout(120_000);

const APPLICATION = 'eventId status position ahead appliedAt decidedAt giftCode estimatedWaitSeconds';
const LEASE_MS = 1_000;

describe('the waiting room', () => {
  let platform: TestPlatform;
  let admin: string;
  const redis = new Redis(urls.redis);

  beforeAll(async () => {
    platform = await startTestPlatform({
      extraEvents: 2,
      notifier: false,
      partitions: 1,
      event: { WAITROOM_DRAW_LEASE_MS: String(LEASE_MS), WAITROOM_DRAW_INTERVAL_MS: '50' },
    });
    admin = ((await platform.mintTokens([platform.adminEmail]))[0] as { token: string }).token;
  });
  afterAll(async () => {
    await platform?.stop();
    redis.disconnect();
  });

  const sql = <T extends object>(query: string, replacements: unknown[] = []) =>
    platform.db.sequelize.query<T>(query, { replacements, type: QueryTypes.SELECT });

  const createEvent = async (input: Loose) =>
    gql(
      platform.url,
      'mutation($input: CreateEventInput!) { createEvent(input: $input) { id status waitingRoomOpensAt opensAt } }',
      {
        input: { name: 'Drop', ...input },
      },
      admin,
    );

  const apply = async (eventId: string, token: string) =>
    (
      await gql(
        platform.url,
        `mutation($id: ID!) { apply(eventId: $id) { outcome application { ${APPLICATION} } } }`,
        { id: eventId },
        token,
      )
    ).data?.['apply'] as { outcome: string; application: Loose };

  const mine = async (eventId: string, token: string) =>
    (await gql(platform.url, `query($id: ID!) { myApplication(eventId: $id) { ${APPLICATION} } }`, { id: eventId }, token))
      .data?.['myApplication'] as Loose | null;

  /** An event whose waiting room is open now and which opens `inMs` from now. */
  const waitingRoomEvent = async (stock: number, inMs: number) => {
    const opensAt = Date.now() + inMs;
    const created = await createEvent({
      stock,
      opensAt: new Date(opensAt).toISOString(),
      waitingRoomOpensAt: new Date(Date.now() - 1_000).toISOString(),
    });
    expect(created.errors).toBeUndefined();
    return { id: created.data?.['createEvent'].id as string, opensAt };
  };

  /** Every application decided, as participants read it and as MySQL holds it (the issuer writes after deciding). */
  const everyoneDecided = (eventId: string, tokens: string[]) =>
    eventually(
      async () => {
        const apps = await Promise.all(tokens.map((t) => mine(eventId, t)));
        if (!apps.every((a) => a?.['status'] === 'ISSUED' || a?.['status'] === 'SOLD_OUT')) return undefined;
        const rows = await sql('SELECT 1 FROM applications WHERE event_id = ?', [eventId]);
        return rows.length === tokens.length ? (apps as Loose[]) : undefined;
      },
      60_000,
      'every application decided',
    );

  it('refuses a waiting room without an opening, or not before it, naming the field', async () => {
    const soon = new Date(Date.now() + 60_000).toISOString();
    const without = await createEvent({ stock: 1, waitingRoomOpensAt: soon });
    expect(codeOf(without)).toBe('BAD_USER_INPUT');
    expect(without.errors?.[0]?.message).toContain('waitingRoomOpensAt needs opensAt');
    const after = await createEvent({
      stock: 1,
      opensAt: soon,
      waitingRoomOpensAt: new Date(Date.now() + 120_000).toISOString(),
    });
    expect(codeOf(after)).toBe('BAD_USER_INPUT');
    expect(after.errors?.[0]?.message).toContain('waitingRoomOpensAt must be before opensAt');
  });

  it('draws once at the opening with three drawers racing: everyone waiting placed once in the recorded order, subscribers told at once', async () => {
    const W = 30;
    const STOCK = 5;
    const { id: eventId, opensAt } = await waitingRoomEvent(STOCK, 6_000);
    const tokens = (await platform.mintTokens(Array.from({ length: W + 1 }, (_, i) => `wr-${eventId}-${i}@fcfs.test`))).map(
      (t) => t.token,
    );
    const late = tokens.pop() as string;

    const client = wsClient(platform.wsUrl, tokens[0]);
    const sub: Subscription<Loose> = subscribe(
      client,
      `subscription($id: ID!) { applicationStatus(eventId: $id) { ${APPLICATION} } }`,
      { id: eventId },
    );

    const answers = await Promise.all(tokens.slice(0, 20).map((t) => apply(eventId, t)));
    const appliedFrom = Date.now();
    answers.push(...(await Promise.all(tokens.slice(20).map((t) => apply(eventId, t)))));
    expect(answers.map((a) => a.outcome)).toEqual(tokens.map(() => 'WAITING'));
    // The room's answer says how long. With 20 or more in the room its middle place is beyond the 5 items, so
    // (see the estimate below) the wait is the time to the opening, whatever the pace.
    for (const a of answers.slice(20)) {
      expect(a.application['estimatedWaitSeconds']).toBeGreaterThanOrEqual(Math.ceil((opensAt - Date.now()) / 1000));
      expect(a.application['estimatedWaitSeconds']).toBeLessThanOrEqual(Math.ceil((opensAt - appliedFrom) / 1000));
    }
    expect(answers.every((a) => a.application['status'] === 'WAITING' && a.application['position'] === 0)).toBe(true);
    // Asked again: the same WAITING, no second place.
    expect((await apply(eventId, tokens[1] as string)).outcome).toBe('ALREADY_APPLIED');
    // Durable before it was answered.
    expect(await sql('SELECT participant_id FROM waiting WHERE event_id = ?', [eventId])).toHaveLength(W);
    await sub.until((v) => v['applicationStatus'].status === 'WAITING');
    const stats = await gql(
      platform.url,
      'query($id: ID!) { eventStats(eventId: $id) { waiting admitted } }',
      { id: eventId },
      admin,
    );
    expect(stats.data?.['eventStats']).toEqual({ waiting: W, admitted: 0 });
    // The estimate: the middle place of the 30 is beyond the 5 the gate has, so it is answered SOLD_OUT as the draw
    // is placed: whatever the pace, the median participant waits for the opening.
    const readFrom = Date.now();
    const estimate = (await mine(eventId, tokens[2] as string))?.['estimatedWaitSeconds'] as number | null;
    expect(estimate).toBeGreaterThanOrEqual(Math.ceil((opensAt - Date.now()) / 1000));
    expect(estimate).toBeLessThanOrEqual(Math.ceil((opensAt - readFrom) / 1000));
    expect(Date.now()).toBeLessThan(opensAt);

    // The opening: three replicas' drawers race; the line drains.
    const apps = await everyoneDecided(eventId, tokens);
    const draws = await sql<{ seed: string; waiting_count: number; placed_at: Date | null }>(
      'SELECT seed, waiting_count, placed_at FROM draws WHERE event_id = ?',
      [eventId],
    );
    expect(draws).toHaveLength(1);
    expect(draws[0]).toMatchObject({ waiting_count: W, placed_at: expect.any(Date) });
    // Positions 1..W, each once, exactly as recorded; the first STOCK of the drawn order won.
    const recorded = await sql<{ participant_id: string; position: number }>(
      'SELECT participant_id, position FROM waiting WHERE event_id = ? ORDER BY position',
      [eventId],
    );
    expect(recorded.map((r) => r.position)).toEqual(Array.from({ length: W }, (_, i) => i + 1));
    const decided = await sql<{ participant_id: string; position: number; status: string }>(
      'SELECT participant_id, position, status FROM applications WHERE event_id = ? ORDER BY position',
      [eventId],
    );
    expect(decided.map((d) => [String(d.participant_id), d.position])).toEqual(
      recorded.map((r) => [String(r.participant_id), r.position]),
    );
    expect(decided.filter((d) => d.status === 'ISSUED').map((d) => d.position)).toEqual([1, 2, 3, 4, 5]);
    expect(apps.map((a) => a['position']).sort((a, b) => a - b)).toEqual(recorded.map((r) => r.position));

    // The subscriber heard its drawn position (PENDING at once, or its decision if that came first).
    const own = apps[0] as Loose;
    await sub.until((v) => v['applicationStatus'].position === own['position'] && v['applicationStatus'].status !== 'WAITING');
    expect(sub.values[0]?.['applicationStatus'].status).toBe('WAITING');
    sub.dispose();
    await client.dispose();

    // A later applicant comes after everyone drawn.
    const after = await apply(eventId, late);
    expect(after.outcome).toBe('SOLD_OUT');
    expect(after.application['position']).toBe(W + 1);
  });

  it('a drawer killed after recording the draw, before placing it: another replica finishes the same draw', async () => {
    const W = 20;
    const { id: eventId, opensAt } = await waitingRoomEvent(3, 8_000);
    const tokens = (await platform.mintTokens(Array.from({ length: W }, (_, i) => `crash-${eventId}-${i}@fcfs.test`))).map(
      (t) => t.token,
    );
    const answers = await Promise.all(tokens.map((t) => apply(eventId, t)));
    expect(answers.every((a) => a.outcome === 'WAITING')).toBe(true);

    // A drawer process draws (before the replicas' time, so it is certainly the one) and is SIGKILLed right after.
    const child = spawn(process.execPath, [join(__dirname, 'crash-drawer.cjs'), eventId], {
      env: { ...process.env, ...platform.eventEnv },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGKILL');
    const drawn = JSON.parse(out.trim()) as { seed: string; made: boolean; order: string[] };
    expect(drawn.made).toBe(true);
    expect(Date.now()).toBeLessThan(opensAt);

    // Recorded, not placed: everyone still WAITING in Redis, the gate still closed to others.
    const [draw] = await sql<{ seed: string; placed_at: Date | null }>('SELECT seed, placed_at FROM draws WHERE event_id = ?', [
      eventId,
    ]);
    expect(draw).toEqual({ seed: drawn.seed, placed_at: null });
    const entries = Object.values(
      await redis.hgetall(eventKeys(platform.eventEnv['STOCK_REDIS_PREFIX'] as string, eventId).apps),
    );
    expect(entries.filter((e) => e.startsWith('W|'))).toHaveLength(W);

    // The replicas finish it at the opening: the same seed, the same order, everyone once.
    const apps = await everyoneDecided(eventId, tokens);
    const draws = await sql<{ seed: string }>('SELECT seed FROM draws WHERE event_id = ?', [eventId]);
    expect(draws).toEqual([{ seed: drawn.seed }]);
    const decided = await sql<{ participant_id: string; position: number }>(
      'SELECT participant_id, position FROM applications WHERE event_id = ? ORDER BY position',
      [eventId],
    );
    expect(decided.map((d) => String(d.participant_id))).toEqual(drawn.order);
    expect(decided.map((d) => d.position)).toEqual(Array.from({ length: W }, (_, i) => i + 1));
    expect(apps).toHaveLength(W);
  });

  it('Redis losing the event during the waiting room: rebuilt from MySQL, nobody told WAITING is forgotten', async () => {
    const W = 10;
    const { id: eventId } = await waitingRoomEvent(4, 6_000);
    const tokens = (await platform.mintTokens(Array.from({ length: W }, (_, i) => `lost-${eventId}-${i}@fcfs.test`))).map(
      (t) => t.token,
    );
    expect((await Promise.all(tokens.map((t) => apply(eventId, t)))).every((a) => a.outcome === 'WAITING')).toBe(true);
    const keys = eventKeys(platform.eventEnv['STOCK_REDIS_PREFIX'] as string, eventId);
    await redis.del(keys.state, keys.apps);
    // Read again: the state comes back from MySQL, everyone still WAITING.
    expect(await mine(eventId, tokens[0] as string)).toMatchObject({ status: 'WAITING', position: 0 });
    const stats = await gql(platform.url, 'query($id: ID!) { eventStats(eventId: $id) { waiting } }', { id: eventId }, admin);
    expect(stats.data?.['eventStats']).toEqual({ waiting: W });
    const apps = await everyoneDecided(eventId, tokens);
    expect(apps.map((a) => a['position']).sort((a, b) => a - b)).toEqual(Array.from({ length: W }, (_, i) => i + 1));
    expect(apps.filter((a) => a['status'] === 'ISSUED')).toHaveLength(4);
  });

  it('records exactly one draw when many drawers call at once, each answered the recorded one', async () => {
    const { id: eventId } = await waitingRoomEvent(1, 60_000);
    const tokens = (await platform.mintTokens(Array.from({ length: 12 }, (_, i) => `race-${eventId}-${i}@fcfs.test`))).map(
      (t) => t.token,
    );
    await Promise.all(tokens.map((t) => apply(eventId, t)));
    const connections = Array.from({ length: 6 }, () => createSequelize(platform.db.url, testLogger('drawers')));
    try {
      const draws = await Promise.all(connections.map((s) => createDrawStore(s).drawOnce(eventId, Date.now())));
      expect(draws.filter((d) => d?.made)).toHaveLength(1);
      const [first] = draws;
      for (const d of draws) expect({ seed: d?.seed, order: d?.order }).toEqual({ seed: first?.seed, order: first?.order });
      expect(first?.order).toHaveLength(12);
      // Once drawn, nobody more is told WAITING (the fence): the next apply is not answered WAITING.
      const [extra] = await platform.mintTokens([`race-${eventId}-extra@fcfs.test`]);
      const refused = await gql(
        platform.url,
        'mutation($id: ID!) { apply(eventId: $id) { outcome } }',
        { id: eventId },
        extra?.token,
      );
      expect(codeOf(refused)).toBe('UNAVAILABLE');
      expect(await sql('SELECT 1 FROM waiting WHERE event_id = ?', [eventId])).toHaveLength(12);
    } finally {
      await Promise.all(connections.map((s) => s.close()));
    }
  });

  it('an event without a waiting room is as before: applies are ACCEPTED in arrival order, no draw', async () => {
    const created = await createEvent({ stock: 2 });
    const eventId = created.data?.['createEvent'].id as string;
    await gql(platform.url, 'mutation($id: ID!) { openEvent(eventId: $id) { status } }', { id: eventId }, admin);
    const tokens = (await platform.mintTokens(['plain-a@fcfs.test', 'plain-b@fcfs.test'])).map((t) => t.token);
    const first = await apply(eventId, tokens[0] as string);
    const second = await apply(eventId, tokens[1] as string);
    expect([first.outcome, first.application['position'], second.outcome, second.application['position']]).toEqual([
      'ACCEPTED',
      1,
      'ACCEPTED',
      2,
    ]);
    expect(await sql('SELECT 1 FROM draws WHERE event_id = ?', [eventId])).toHaveLength(0);
  });
});
