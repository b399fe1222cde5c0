import { Metadata, status } from '@grpc/grpc-js';
import { bearerMetadata, callUnary, grpcErrorInfo } from '@fcfs/kit';
import { EventStatus } from '@fcfs/proto';
import { eventually } from '../support';
import { startPipeline, type Pipeline } from './harness';

// Test 7 of the issue: bad input gets INVALID_ARGUMENT or NOT_FOUND with a message, never INTERNAL.
describe('bad input to the event service and the issuer', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline();
  });
  afterAll(() => p?.stop());

  const codeOf = async (call: Promise<unknown>) => {
    try {
      await call;
      return 'OK';
    } catch (err) {
      const info = grpcErrorInfo(err);
      expect(info.message).not.toMatch(/internal error|\n\s+at /i);
      return status[info.code];
    }
  };
  const create = (
    req: { name: string; stock: number; opensAtMs?: number; closesAtMs?: number },
    metadata: Metadata = p.admin(),
  ) => callUnary(p.client.createEvent.bind(p.client), req, { metadata });

  it('refuses bad events', async () => {
    expect(await codeOf(create({ name: '', stock: 1 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(create({ name: '   ', stock: 1 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(create({ name: 'a\u0007b', stock: 1 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(create({ name: 'x'.repeat(201), stock: 1 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(create({ name: 'ok', stock: -1 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(create({ name: 'ok', stock: 1_000_001 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(create({ name: 'ok', stock: 2_147_483_647 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(create({ name: 'ok', stock: 1, opensAtMs: Date.now() + 60_000, closesAtMs: Date.now() + 30_000 }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(create({ name: 'ok', stock: 1, closesAtMs: Date.now() - 1 }))).toBe('INVALID_ARGUMENT');
    const err = await create({ name: 'ok', stock: 5_000_000 }).catch((e: unknown) => grpcErrorInfo(e));
    expect((err as { message: string }).message).toContain('1,000,000');
  });

  it('checks the admin role itself', async () => {
    expect(await codeOf(create({ name: 'ok', stock: 1 }, new Metadata()))).toBe('UNAUTHENTICATED');
    expect(await codeOf(create({ name: 'ok', stock: 1 }, bearerMetadata(p.tokens.participant)))).toBe('PERMISSION_DENIED');
    expect(await codeOf(create({ name: 'ok', stock: 1 }, bearerMetadata('a.b.c')))).toBe('UNAUTHENTICATED');
  });

  it('answers unknown events and malformed ids', async () => {
    const c = p.client;
    expect(await codeOf(callUnary(c.getEvent.bind(c), { eventId: '987654321' }))).toBe('NOT_FOUND');
    expect(await codeOf(callUnary(c.getEvent.bind(c), { eventId: 'abc' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(callUnary(c.getEvent.bind(c), { eventId: '' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(p.apply('987654321', '1'))).toBe('NOT_FOUND');
    expect(await codeOf(p.apply('1', 'not-an-id'))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(p.apply('1', '-5'))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(p.apply('1', '99999999999999999999999'))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(callUnary(c.getApplication.bind(c), { eventId: '987654321', participantId: '1' }))).toBe('NOT_FOUND');
    expect(await codeOf(callUnary(c.getApplication.bind(c), { eventId: '1', participantId: 'x' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(callUnary(c.setStock.bind(c), { eventId: '987654321', stock: 1 }, { metadata: p.admin() }))).toBe(
      'NOT_FOUND',
    );
    expect(await codeOf(callUnary(c.openEvent.bind(c), { eventId: '987654321' }, { metadata: p.admin() }))).toBe('NOT_FOUND');
    expect(await codeOf(callUnary(c.getEventStats.bind(c), { eventId: '987654321' }, { metadata: p.admin() }))).toBe('NOT_FOUND');
    const stream = c.watchEvent({ eventId: '987654321' });
    const watchCode = await new Promise<number>((resolve) => {
      stream.on('error', (e: { code: number }) => resolve(e.code));
      stream.on('data', () => undefined);
    });
    expect(status[watchCode]).toBe('NOT_FOUND');

    const i = p.issuerClient();
    expect(await codeOf(callUnary(i.getDecision.bind(i), { eventId: 'x', participantId: '1' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(callUnary(i.listGifts.bind(i), { eventId: '987654321', pageSize: 10, pageToken: '' }))).toBe('NOT_FOUND');
    expect(await codeOf(callUnary(i.listGifts.bind(i), { eventId: '1', pageSize: 5000, pageToken: '' }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(callUnary(i.listGifts.bind(i), { eventId: '1', pageSize: 10, pageToken: '!!' }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(callUnary(i.reconcile.bind(i), { eventId: '987654321' }))).toBe('NOT_FOUND');
  });

  it('answers a batch item by item', async () => {
    const event = await p.createOpenEvent(1);
    const { results } = await callUnary(p.client.applyBatch.bind(p.client), {
      applications: [
        { eventId: event.id, participantId: '1' },
        { eventId: event.id, participantId: 'nope' },
        { eventId: '987654321', participantId: '2' },
        { eventId: event.id, participantId: '3' },
      ],
    });
    expect(results.map((r) => (r.result?.$case === 'error' ? status[r.result.value.code] : r.result?.value.outcome))).toEqual([
      1, // ACCEPTED
      'INVALID_ARGUMENT',
      'NOT_FOUND',
      3, // SOLD_OUT at the gate
    ]);
  });

  it('refuses a stock below what is issued, and NOT_OPEN before opening and after closing', async () => {
    const c = p.client;
    const md = p.admin();
    const { event } = await callUnary(c.createEvent.bind(c), { name: 'Later', stock: 2 }, { metadata: md });
    const id = event?.id ?? '';
    expect(event?.status).toBe(1); // DRAFT
    expect((await p.apply(id, '1')).outcome).toBe(4); // NOT_OPEN
    await callUnary(c.openEvent.bind(c), { eventId: id }, { metadata: md });
    expect((await p.apply(id, '1')).outcome).toBe(1);
    await eventually(async () =>
      (await p.count('SELECT COUNT(*) n FROM gifts WHERE event_id = ?', [id])) === 1 ? true : undefined,
    );
    expect(await codeOf(callUnary(c.setStock.bind(c), { eventId: id, stock: 0 }, { metadata: md }))).toBe('FAILED_PRECONDITION');
    expect(await codeOf(callUnary(c.setStock.bind(c), { eventId: id, stock: -3 }, { metadata: md }))).toBe('INVALID_ARGUMENT');
    const { event: raised } = await callUnary(c.setStock.bind(c), { eventId: id, stock: 3 }, { metadata: md });
    expect(raised).toMatchObject({ stock: 3, remaining: 2 });
    await callUnary(c.closeEvent.bind(c), { eventId: id }, { metadata: md });
    expect((await p.apply(id, '2')).outcome).toBe(4);
    expect((await p.apply(id, '1')).outcome).toBe(2); // ALREADY_APPLIED still answers
    const { events } = await callUnary(c.listEvents.bind(c), { includeDrafts: false });
    expect(events.find((e) => e.id === id)?.status).toBe(5); // CLOSED
  });

  it('shows a draft only to an admin: to anyone else it does not exist yet', async () => {
    const c = p.client;
    const { event: draft } = await callUnary(
      c.createEvent.bind(c),
      { name: 'Unannounced drop', stock: 3 },
      { metadata: p.admin() },
    );
    const eventId = draft?.id ?? '';
    expect(await codeOf(callUnary(c.getEvent.bind(c), { eventId }))).toBe('NOT_FOUND');
    expect(await codeOf(callUnary(c.getEvent.bind(c), { eventId }, { metadata: bearerMetadata(p.tokens.participant) }))).toBe(
      'NOT_FOUND',
    );
    expect((await callUnary(c.getEvent.bind(c), { eventId }, { metadata: p.admin() })).event?.name).toBe('Unannounced drop');
    await callUnary(c.openEvent.bind(c), { eventId }, { metadata: p.admin() });
    expect((await callUnary(c.getEvent.bind(c), { eventId })).event?.status).toBe(EventStatus.EVENT_STATUS_OPEN);
  });
});
