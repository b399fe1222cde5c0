import { encodeRecord } from '@fcfs/stock';
import { QueryTypes } from 'sequelize';
import { eventually, testKafka } from '../support';
import { startPipeline, type Pipeline } from './harness';

// A record whose MySQL write fails the same way every time must not stop its partition: it goes to the
// dead-letter topic with the reason, and the records around it and after it are decided.
describe('the issuer and a record that always fails', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ partitions: 1 });
  });
  afterAll(() => p?.stop());

  it('dead-letters it with the MySQL error and decides the others', async () => {
    const event = await p.createOpenEvent(10);
    const record = (participantId: string, position: number, appliedAtMs = Date.now()) => ({
      key: event.id,
      value: encodeRecord({ eventId: event.id, participantId, position, appliedAtMs, gateDecidedAtMs: undefined }),
    });
    const producer = testKafka().producer();
    await producer.connect();
    // Participant 2 applied in the year 11476: a well-formed record, but no DATETIME holds that, so its
    // write fails on every attempt (strict SQL mode, the default of MariaDB and MySQL 8).
    await producer.send({ topic: p.topic, messages: [record('1', 1), record('2', 2, 300_000_000_000_000), record('3', 3)] });
    await producer.send({ topic: p.topic, messages: [record('4', 4)] });
    await producer.disconnect();

    const decided = () =>
      p.db.sequelize.query<{ participant_id: string | number; status: string }>(
        'SELECT participant_id, status FROM applications WHERE event_id = ? ORDER BY participant_id',
        { replacements: [event.id], type: QueryTypes.SELECT },
      );
    await eventually(async () => ((await decided()).length === 3 ? true : undefined), 60_000, 'the other records decided');
    expect((await decided()).map((r) => [String(r.participant_id), r.status])).toEqual([
      ['1', 'ISSUED'],
      ['3', 'ISSUED'],
      ['4', 'ISSUED'],
    ]);

    const letters = await p.deadLetters(1);
    expect(letters.map((l) => [l.topic, l.offset])).toEqual([[p.topic, '1']]);
    expect(letters[0]?.reason).toMatch(/^write failed: ER_TRUNCATED_WRONG_VALUE: Incorrect datetime value: '11476-/);
  });
});
