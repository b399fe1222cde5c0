import { status } from '@grpc/grpc-js';
import { ServiceError } from '@fcfs/kit';
import { AdmitOutcome, decodeRecord, type StockScripts } from '@fcfs/stock';
import { ApplyOutcome, WatchEventResponse } from '@fcfs/proto';
import type { Message } from 'kafkajs';
import pino from 'pino';
import { createGate } from './gate';

/** A fake gate: accepts the first `stock` distinct participants, remembers everyone. */
function fakeGate(stock: number, undoFailures = 0) {
  let failuresLeft = undoFailures;
  const entries = new Map<string, string>();
  let seq = 0;
  const calls: string[][] = [];
  const undone: { participantId: string; position: number }[] = [];
  const forgotten: { participantId: string; entry: string }[] = [];
  const scripts = {
    async admit(keys, now, _seen, ids) {
      calls.push([...ids]);
      const admissions = ids.map((id) => {
        const key = `${keys.apps}/${id}`;
        const existing = entries.get(key);
        if (existing) return { outcome: AdmitOutcome.ALREADY_APPLIED, entry: existing, ahead: 0 };
        seq++;
        const won = seq <= stock;
        const entry = won ? `P|${seq}|${now}||` : `S|${seq}|${now}|${now}|`;
        entries.set(key, entry);
        return { outcome: won ? AdmitOutcome.ACCEPTED : AdmitOutcome.SOLD_OUT, entry, ahead: 0 };
      });
      return { kind: 'admitted' as const, decidedThrough: 0, seq, admissions };
    },
    async undo(keys, items) {
      if (failuresLeft-- > 0) throw new Error('Connection is closed.');
      undone.push(...items);
      for (const i of items) entries.delete(`${keys.apps}/${i.participantId}`);
      return items.length;
    },
    async forget(keys, items) {
      forgotten.push(...items);
      for (const i of items)
        if (entries.get(`${keys.apps}/${i.participantId}`) === i.entry) entries.delete(`${keys.apps}/${i.participantId}`);
      return items.length;
    },
  } as Partial<StockScripts> as StockScripts;
  return { scripts, calls, undone, forgotten };
}

/** What kafkajs throws when no broker takes the connection: nothing was sent. */
const refused = () =>
  Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9'), { name: 'KafkaJSConnectionError' });

function setup(stock: number, send: (messages: Message[]) => Promise<void>, undoFailures = 0) {
  const gate = fakeGate(stock, undoFailures);
  const sent: Message[][] = [];
  /** What the batches published on event channels, decoded. */
  const published: { channel: string; update: WatchEventResponse }[] = [];
  const redis = {
    pipeline() {
      const queued: { channel: string; message: Buffer }[] = [];
      const pipeline = {
        publish(channel: string, message: Buffer) {
          queued.push({ channel, message });
          return pipeline;
        },
        async exec() {
          for (const q of queued) published.push({ channel: q.channel, update: WatchEventResponse.decode(q.message) });
          return [];
        },
      };
      return pipeline;
    },
  };
  const admissions = createGate({
    scripts: gate.scripts,
    producer: {
      send: async (messages) => {
        sent.push(messages);
        await send(messages);
      },
      reset: () => undefined,
    },
    redis: redis as never,
    sequelize: {} as never,
    prefix: 'unit:',
    logger: pino({ level: 'silent' }),
    now: () => 1_000,
    batchWaitMs: 1,
    batchMax: 1_000,
    queueMax: 10_000,
    produceTimeoutMs: 1,
    failFastMs: 0,
    holdMs: 1,
    offsets: async () => ({ end: 0, committed: 0 }),
    watermarks: { decidedThrough: async () => 0 },
  });
  return { admissions, gate, sent, published };
}

describe('the batched apply path', () => {
  it('coalesces concurrent applies: one gate call per event and one produce, answered after it', async () => {
    const { admissions, gate, sent } = setup(2, async () => undefined);
    const answers = await Promise.all([
      admissions.apply('1', '10'),
      admissions.apply('1', '11'),
      admissions.apply('2', '10'),
      admissions.apply('1', '12'),
      admissions.apply('1', '10'),
    ]);
    expect(gate.calls).toEqual([['10', '11', '12', '10'], ['10']]);
    expect(sent).toHaveLength(1);
    expect(answers.map((a) => a.outcome)).toEqual([
      ApplyOutcome.APPLY_OUTCOME_ACCEPTED,
      ApplyOutcome.APPLY_OUTCOME_ACCEPTED,
      ApplyOutcome.APPLY_OUTCOME_SOLD_OUT, // the fake's sequence is shared by both events
      ApplyOutcome.APPLY_OUTCOME_SOLD_OUT,
      ApplyOutcome.APPLY_OUTCOME_ALREADY_APPLIED,
    ]);
    // Accepted and gate-SOLD_OUT applications both go to Kafka, keyed by event, the latter flagged.
    const records = (sent[0] ?? []).map((m) => decodeRecord(m.key as Buffer | null, Buffer.from(m.value as Buffer)));
    expect(records.map((r) => (r.ok ? [r.record.eventId, r.record.participantId, r.record.gateDecidedAtMs] : r.reason))).toEqual([
      ['1', '10', undefined],
      ['1', '11', undefined],
      ['1', '12', 1_000],
      ['2', '10', 1_000],
    ]);
  });

  it('publishes the new applications of each event on its channel once they are in Kafka, not the repeats', async () => {
    const { admissions, published } = setup(1, async () => undefined);
    await Promise.all([admissions.apply('1', '10'), admissions.apply('1', '11'), admissions.apply('2', '12')]);
    await admissions.apply('1', '10');
    await new Promise((resolve) => setImmediate(resolve));
    expect(
      published.map(({ channel, update }) => [
        channel,
        update.update?.$case === 'admissions' ? update.update.value.applications.map((a) => [a.participantId, a.position]) : [],
      ]),
    ).toEqual([
      [
        expect.stringContaining('1'),
        [
          ['10', 1],
          ['11', 2],
        ],
      ],
      [expect.stringContaining('2'), [['12', 3]]],
    ]);
  });

  it('undoes the admissions and answers UNAVAILABLE when the produce fails, then a retry succeeds', async () => {
    let fail = true;
    const { admissions, gate, published } = setup(5, async () => {
      if (fail) throw refused();
    });
    const answers = await Promise.allSettled([admissions.apply('1', '10'), admissions.apply('1', '10')]);
    for (const answer of answers) {
      expect(answer.status).toBe('rejected');
      const err = (answer as PromiseRejectedResult).reason as ServiceError;
      expect(err.code).toBe(status.UNAVAILABLE);
    }
    expect(gate.undone).toEqual([{ participantId: '10', position: 1 }]);
    // Nothing that failed to reach Kafka is announced.
    await new Promise((resolve) => setImmediate(resolve));
    expect(published).toEqual([]);
    fail = false;
    expect((await admissions.apply('1', '10')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
  });

  it('forgets the SOLD_OUT answers of a batch whose produce failed (never given: UNAVAILABLE), whatever the failure', async () => {
    for (const failure of [refused, () => new Error('Request timed out')]) {
      let fail = true;
      const { admissions, gate } = setup(1, async () => {
        if (fail) throw failure();
      });
      fail = false;
      expect((await admissions.apply('1', '10')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
      fail = true;
      const answer = await admissions.apply('1', '11').then(
        () => 'answered',
        (err: ServiceError) => err.code,
      );
      expect(answer).toBe(status.UNAVAILABLE);
      expect(gate.forgotten).toEqual([{ participantId: '11', entry: 'S|2|1000|1000|' }]);
      fail = false;
      // Applying again is a new answer (SOLD_OUT at a new position), produced this time.
      const again = await admissions.apply('1', '11');
      expect(again.outcome).toBe(ApplyOutcome.APPLY_OUTCOME_SOLD_OUT);
      expect(again.application?.position).toBe(3);
    }
  });

  it('retries an undo that failed before the next batch, so no admission stays PENDING', async () => {
    let fail = true;
    const { admissions, gate } = setup(
      5,
      async () => {
        if (fail) throw refused();
      },
      1,
    );
    await expect(admissions.apply('1', '10')).rejects.toMatchObject({ code: status.UNAVAILABLE });
    expect(gate.undone).toEqual([]);
    fail = false;
    expect((await admissions.apply('1', '11')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
    expect(gate.undone).toEqual([{ participantId: '10', position: 1 }]);
  });
});
