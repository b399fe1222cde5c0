import { ApplyOutcome } from '@fcfs/proto';
import { encodeRecord } from '@fcfs/stock';
import { eventually, randomSuffix, testKafka } from '../../../test/support';
import { startPipeline, type Pipeline } from '../../../test/pipeline/harness';
import { runCaptured } from './run';

// The DLQ commands against the real broker: dead letters made for real by the issuer (pipeline harness).
describe('ops dlq (real Kafka, Redis, MariaDB)', () => {
  let p: Pipeline;
  let env: Record<string, string>;
  const ops = (...argv: string[]) => runCaptured(argv, env);
  const kafka = testKafka();

  /** The next offset of each partition of a topic. */
  const highWatermarks = async (topic: string) => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).map((o) => o.high);
    } finally {
      await admin.disconnect();
    }
  };
  /** Until the issuer has committed everything on the applications topic. */
  const drained = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await eventually(
        async () => {
          const [high] = await highWatermarks(p.topic);
          const [committed] = await admin.fetchOffsets({ groupId: p.group, topics: [p.topic] });
          return committed?.partitions[0]?.offset === high ? true : undefined;
        },
        30_000,
        'the issuer committed past every record',
      );
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    p = await startPipeline({ partitions: 1 });
    env = { ...p.env, OPS_DLQ_GROUP: `ops-${randomSuffix()}` };
  });
  afterAll(() => p?.stop());

  it('lists dead letters, replays them once, and a replay of a decided application changes nothing', async () => {
    const event = await p.createOpenEvent(2);
    expect((await p.apply(event.id, '1')).outcome).toBe(ApplyOutcome.APPLY_OUTCOME_ACCEPTED);
    await eventually(async () =>
      (await p.count('SELECT COUNT(*) n FROM gifts WHERE event_id = ?', [event.id])) === 1 ? true : undefined,
    );
    const giftOf1 = async () => {
      const [rows] = await p.db.sequelize.query('SELECT code FROM gifts WHERE event_id = ? AND participant_id = 1', {
        replacements: [event.id],
      });
      return (rows as { code: string }[]).map((r) => r.code);
    };
    const [code1] = await giftOf1();

    // A record that is no application, and two under a wrong key (so dead-lettered whole): a new applicant,
    // and the one already decided.
    const record = (participantId: string, position: number) =>
      encodeRecord({ eventId: event.id, participantId, position, appliedAtMs: Date.now(), gateDecidedAtMs: undefined });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: p.topic,
      messages: [
        { key: event.id, value: Buffer.from('not protobuf \xff\xff') },
        { key: 'wrong', value: record('2', 2) },
        { key: 'wrong', value: record('1', 1) },
      ],
    });
    await producer.disconnect();
    await p.deadLetters(3);

    const listed = await ops('dlq', 'list');
    expect(listed.code).toBe(0);
    expect(listed.out).toEqual([
      expect.stringMatching(/^0:0 .*not an application record.*reason: (not an ApplicationRecord|event_id is not a valid id)/),
      expect.stringMatching(
        new RegExp(`^0:1 .*event=${event.id} participant=2 position=2 .*reason: record key is not its event id$`),
      ),
      expect.stringMatching(
        new RegExp(`^0:2 .*event=${event.id} participant=1 position=1 .*reason: record key is not its event id$`),
      ),
    ]);
    expect(listed.err).toEqual([`${p.dlq}: 3 dead letters, 3 not replayed (group ${env['OPS_DLQ_GROUP']}); showing 3`]);
    expect((await ops('dlq', 'list', '--limit', '1')).out).toHaveLength(1);

    const [before] = await highWatermarks(p.topic);
    const dry = await ops('dlq', 'replay', '--all', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toEqual([
      expect.stringMatching(/^would replay 0:1 /),
      expect.stringMatching(/^would replay 0:2 /),
      expect.stringMatching(/^skipped 0:0: not an application record/),
    ]);
    expect(await highWatermarks(p.topic)).toEqual([before]);
    expect((await ops('dlq', 'list')).err[0]).toContain('3 not replayed');

    const replayed = await ops('dlq', 'replay', '--all');
    expect(replayed.code).toBe(0);
    expect(replayed.err).toEqual([`2 replayed onto ${p.topic}, 1 skipped`]);
    expect(await highWatermarks(p.topic)).toEqual([String(Number(before) + 2)]);
    await drained();
    // The new applicant is decided; the one decided before keeps its one application and its gift code.
    expect(await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id])).toBe(2);
    expect(await p.count('SELECT COUNT(*) n FROM gifts WHERE event_id = ? AND participant_id = 2', [event.id])).toBe(1);
    expect(await giftOf1()).toEqual([code1]);
    expect(await highWatermarks(p.dlq)).toEqual(['3']);

    // Remembered: nothing left, and a second replay sends nothing.
    const after = await ops('dlq', 'list');
    expect(after.out).toEqual([]);
    expect(after.err[0]).toContain('3 dead letters, 0 not replayed');
    expect((await ops('dlq', 'list', '--all')).out.every((l) => l.endsWith('[replayed]'))).toBe(true);
    expect((await ops('dlq', 'replay', '--all')).err).toEqual([`0 replayed onto ${p.topic}, 0 skipped`]);
    expect(await highWatermarks(p.topic)).toEqual([String(Number(before) + 2)]);

    // Asked for by offset, a replayed letter goes again, and is harmless.
    const again = await ops('dlq', 'replay', '--offset', '2');
    expect(again.err).toEqual([
      `1 replayed onto ${p.topic}, 0 skipped; 1 had been replayed before (harmless: the issuer remembers its decisions)`,
    ]);
    await drained();
    expect(await p.count('SELECT COUNT(*) n FROM applications WHERE event_id = ?', [event.id])).toBe(2);
    expect(await giftOf1()).toEqual([code1]);
    expect(await highWatermarks(p.dlq)).toEqual(['3']);
  });

  it('says what is wrong with an offset or a topic, without a stack', async () => {
    expect(await ops('dlq', 'replay', '--offset', '9')).toMatchObject({
      code: 1,
      err: ['ops dlq replay failed: no dead letter at 0:9 (partition 0 holds offsets 0 to 2)'],
    });
    expect((await ops('dlq', 'replay', '--offset', '0', '--partition', '4')).err).toEqual([
      'ops dlq replay failed: the dead-letter topic has no partition 4',
    ]);
    expect(await runCaptured(['dlq', 'list'], { ...env, KAFKA_DLQ_TOPIC: `missing.${randomSuffix()}` })).toMatchObject({
      code: 1,
      err: [
        expect.stringMatching(/^ops dlq list failed: the dead-letter topic "missing\.\w+" does not exist \(KAFKA_DLQ_TOPIC\)$/),
      ],
    });
  });
});
