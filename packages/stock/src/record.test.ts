import { ApplicationRecord, ApplicationStatus } from '@fcfs/proto';
import { formatEntry, parseEntry } from './entry';
import { decodeRecord, encodeRecord, type QueuedApplication } from './record';

describe('the applications record codec', () => {
  const record: QueuedApplication = {
    eventId: '42',
    participantId: '7',
    position: 3,
    appliedAtMs: 1_700_000_000_000,
    gateDecidedAtMs: undefined,
  };
  const key = Buffer.from('42');

  it('round-trips accepted and gate-decided applications', () => {
    expect(decodeRecord(key, encodeRecord(record))).toEqual({ ok: true, record });
    const soldOut = { ...record, gateDecidedAtMs: 1_700_000_000_005 };
    expect(decodeRecord(key, encodeRecord(soldOut))).toEqual({ ok: true, record: soldOut });
  });

  it.each([
    ['an empty value', key, Buffer.alloc(0), 'empty value'],
    ['bytes that are not a record', key, Buffer.from([0xff, 0xff, 0xff, 0xff]), 'not an ApplicationRecord'],
    ['a key that is not its event', Buffer.from('41'), encodeRecord(record), 'record key'],
    [
      'a participant id that is no id',
      key,
      Buffer.from(
        ApplicationRecord.encode({
          ...ApplicationRecord.fromPartial({ eventId: '42', participantId: 'x', position: 1, appliedAtMs: 1 }),
        }).finish(),
      ),
      'participant_id',
    ],
    [
      'position 0',
      key,
      Buffer.from(
        ApplicationRecord.encode(
          ApplicationRecord.fromPartial({ eventId: '42', participantId: '1', position: 0, appliedAtMs: 1 }),
        ).finish(),
      ),
      'position',
    ],
    [
      'predecided ISSUED',
      key,
      Buffer.from(
        ApplicationRecord.encode(
          ApplicationRecord.fromPartial({
            eventId: '42',
            participantId: '1',
            position: 1,
            appliedAtMs: 1,
            predecided: ApplicationStatus.APPLICATION_STATUS_ISSUED,
          }),
        ).finish(),
      ),
      'predecided',
    ],
  ])('rejects %s with a reason', (_what, k, value, reason) => {
    const decoded = decodeRecord(k, value);
    expect(decoded.ok).toBe(false);
    expect(decoded.ok ? '' : decoded.reason).toContain(reason);
  });
});

describe('stored applications', () => {
  it('parse what the Lua scripts write and format it back', () => {
    expect(parseEntry('P|12|1000||')).toEqual({
      status: ApplicationStatus.APPLICATION_STATUS_PENDING,
      position: 12,
      appliedAtMs: 1000,
      decidedAtMs: undefined,
      giftCode: undefined,
    });
    for (const entry of ['I|1|1000|1005|ABCD-EFGH-JKMN-PQRS', 'S|2|1000|1001|', 'P|3|1000||'])
      expect(formatEntry(parseEntry(entry))).toBe(entry);
    expect(() => parseEntry('X|1|1||')).toThrow('not a stored application');
  });
});
