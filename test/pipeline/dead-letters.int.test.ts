import { encodeRecord } from '@fcfs/stock';
import { eventually, testKafka } from '../support';
import { startPipeline, type Pipeline } from './harness';

// A record that can never be processed goes to the DLQ with the reason, and consumption goes on.
describe('dead letters', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ partitions: 1 });
  });
  afterAll(() => p?.stop());

  it('dead-letters malformed records and records of unknown events, and decides the good ones around them', async () => {
    const event = await p.createOpenEvent(1);
    const kafka = testKafka();
    const producer = kafka.producer();
    await producer.connect();
    const good = (participantId: string, position: number) => ({
      key: event.id,
      value: encodeRecord({ eventId: event.id, participantId, position, appliedAtMs: Date.now(), gateDecidedAtMs: undefined }),
    });
    await producer.send({
      topic: p.topic,
      messages: [
        { key: event.id, value: Buffer.from('this is not protobuf \xff\xff\xff') },
        good('1', 1),
        {
          key: '987654',
          value: encodeRecord({
            eventId: '987654',
            participantId: '5',
            position: 1,
            appliedAtMs: Date.now(),
            gateDecidedAtMs: undefined,
          }),
        },
        {
          key: 'other',
          value: encodeRecord({
            eventId: event.id,
            participantId: '6',
            position: 2,
            appliedAtMs: Date.now(),
            gateDecidedAtMs: undefined,
          }),
        },
        good('2', 3),
      ],
    });
    await producer.disconnect();

    await eventually(async () =>
      (await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id])) === 2 ? true : undefined,
    );
    expect(await p.count('SELECT COUNT(*) n FROM gifts WHERE event_id = ?', [event.id])).toBe(1);

    const letters = await p.deadLetters(3);
    expect(letters.map((l) => l.reason)).toEqual([
      expect.stringMatching(/not an ApplicationRecord|event_id is not a valid id/),
      'event 987654 does not exist',
      'record key is not its event id',
    ]);
    expect(letters.map((l) => [l.topic, l.offset])).toEqual([
      [p.topic, '0'],
      [p.topic, '2'],
      [p.topic, '3'],
    ]);
  });
});
