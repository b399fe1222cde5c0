import { parseCommand, UsageError } from './args';
import { csvField } from './winners';

describe('parseCommand', () => {
  it('reads each command with its defaults', () => {
    expect(parseCommand(['dlq', 'list'])).toEqual({ name: 'dlq list', limit: 50, all: false });
    expect(parseCommand(['dlq', 'replay', '--all', '--dry-run'])).toEqual({ name: 'dlq replay', target: 'all', dryRun: true });
    expect(parseCommand(['dlq', 'replay', '--offset', '7', '--partition', '2'])).toEqual({
      name: 'dlq replay',
      target: { offset: '7', partition: 2 },
      dryRun: false,
    });
    expect(parseCommand(['emails', 'failed', '--event', '12'])).toEqual({ name: 'emails failed', eventId: '12', limit: 100 });
    expect(parseCommand(['emails', 'redrive', '--id', '5'])).toEqual({
      name: 'emails redrive',
      eventId: undefined,
      id: '5',
      dryRun: false,
    });
    expect(parseCommand(['reconcile', '--event', '3', '--fix'])).toEqual({ name: 'reconcile', eventId: '3', fix: true });
    expect(parseCommand(['winners', '--event', '3', '--format', 'json'])).toEqual({
      name: 'winners',
      eventId: '3',
      format: 'json',
    });
    expect(parseCommand(['--help'])).toBe('help');
    expect(parseCommand([])).toBe('help');
  });

  it.each([
    [['dlq'], 'unknown command "dlq"'],
    [['dlq', 'purge'], 'unknown command "dlq purge"'],
    [['dlq', 'list', 'extra'], 'unexpected "extra" after "dlq list"'],
    [['dlq', 'list', '--limit', '0'], '--limit must be a whole number from 1 to 100000, got "0"'],
    [['dlq', 'list', '--limit', 'ten'], '--limit must be a whole number'],
    [['dlq', 'list', '--fix'], 'dlq list does not take --fix'],
    [['dlq', 'replay'], 'say what to replay: --all, or --offset O [--partition P]'],
    [['dlq', 'replay', '--all', '--offset', '1'], 'give --all or --offset, not both'],
    [['dlq', 'replay', '--offset', '-1'], "Option '--offset' argument is ambiguous"],
    [['dlq', 'replay', '--offset', 'x'], '--offset must be an offset (0, 1, ...), got "x"'],
    [['dlq', 'replay', '--offset', '1', '--partition', 'a'], '--partition must be a partition number'],
    [['emails', 'redrive', '--event', 'abc'], '--event must be a positive integer id, got "abc"'],
    [['reconcile'], '--event is required'],
    [['winners', '--event', '1', '--format', 'xml'], '--format must be csv or json, got "xml"'],
    [['winners', '--event', '1', '--colour'], "Unknown option '--colour'"],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe('csvField', () => {
  it('quotes only what needs it, doubling quotes', () => {
    expect(csvField('plain@example.com')).toBe('plain@example.com');
    expect(csvField('"odd",name@example.com')).toBe('"""odd"",name@example.com"');
    expect(csvField(null)).toBe('');
    expect(csvField(12)).toBe('12');
  });
});
