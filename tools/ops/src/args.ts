import { parseArgs } from 'node:util';
import { isId } from '@fcfs/kit';

export const USAGE = `usage: npm run ops -- <command>   (or node tools/ops/dist/cli.js <command>)

  dlq list [--limit N] [--all]             dead letters not yet replayed (--all: replayed ones too); N default 50
  dlq replay (--all | --offset O [--partition P]) [--dry-run]
                                           put dead letters back on the applications topic and remember them
  emails failed [--event E] [--limit N]    FAILED result e-mails; N default 100
  emails redrive [--event E] [--id ID] [--dry-run]
                                           hand FAILED result e-mails back to the notifier
  reconcile --event E [--fix]              compare an event's Redis state with MySQL; --fix rebuilds Redis from MySQL
  winners --event E [--format csv|json]    an event's winners in line order (default csv)

Configuration: MYSQL_URL, REDIS_URL, KAFKA_BROKERS, KAFKA_APPLICATIONS_TOPIC, KAFKA_DLQ_TOPIC, STOCK_REDIS_PREFIX,
ISSUER_ADDRESS, OPS_DLQ_GROUP (see docs/operations.md).`;

/** A command line that does not make sense: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

export type Command =
  | { name: 'dlq list'; limit: number; all: boolean }
  | { name: 'dlq replay'; target: 'all' | { offset: string; partition: number | undefined }; dryRun: boolean }
  | { name: 'emails failed'; eventId: string | undefined; limit: number }
  | { name: 'emails redrive'; eventId: string | undefined; id: string | undefined; dryRun: boolean }
  | { name: 'reconcile'; eventId: string; fix: boolean }
  | { name: 'winners'; eventId: string; format: 'csv' | 'json' };

const OPTIONS = {
  limit: { type: 'string' },
  all: { type: 'boolean' },
  offset: { type: 'string' },
  partition: { type: 'string' },
  'dry-run': { type: 'boolean' },
  event: { type: 'string' },
  id: { type: 'string' },
  fix: { type: 'boolean' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** Which options each command takes; anything else is a usage error rather than silently ignored. */
const ACCEPTS: Record<Command['name'], (keyof Values)[]> = {
  'dlq list': ['limit', 'all'],
  'dlq replay': ['all', 'offset', 'partition', 'dry-run'],
  'emails failed': ['event', 'limit'],
  'emails redrive': ['event', 'id', 'dry-run'],
  reconcile: ['event', 'fix'],
  winners: ['event', 'format'],
};

const OFFSET = /^(0|[1-9][0-9]{0,18})$/;

function count(value: string | undefined, option: string, fallback: number, max = 100_000): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^[1-9][0-9]*$/.test(value) || n > max)
    throw new UsageError(`--${option} must be a whole number from 1 to ${max}, got "${value}"`);
  return n;
}

function id(value: string | undefined, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (!isId(value)) throw new UsageError(`--${option} must be a positive integer id, got "${value}"`);
  return value;
}

function requiredId(value: string | undefined, option: string): string {
  const parsed = id(value, option);
  if (parsed === undefined) throw new UsageError(`--${option} is required`);
  return parsed;
}

function replayTarget(v: Values): Extract<Command, { name: 'dlq replay' }>['target'] {
  if (v.all === true && v.offset !== undefined) throw new UsageError('give --all or --offset, not both');
  if (v.all === true) {
    if (v.partition !== undefined) throw new UsageError('--partition goes with --offset');
    return 'all';
  }
  if (v.offset === undefined) throw new UsageError('say what to replay: --all, or --offset O [--partition P]');
  if (!OFFSET.test(v.offset)) throw new UsageError(`--offset must be an offset (0, 1, ...), got "${v.offset}"`);
  if (v.partition !== undefined && !OFFSET.test(v.partition)) {
    throw new UsageError(`--partition must be a partition number (0, 1, ...), got "${v.partition}"`);
  }
  const partition = v.partition === undefined ? undefined : Number(v.partition);
  return { offset: v.offset, partition };
}

function build(name: Command['name'], v: Values): Command {
  switch (name) {
    case 'dlq list':
      return { name, limit: count(v.limit, 'limit', 50), all: v.all === true };
    case 'dlq replay':
      return { name, target: replayTarget(v), dryRun: v['dry-run'] === true };
    case 'emails failed':
      return { name, eventId: id(v.event, 'event'), limit: count(v.limit, 'limit', 100) };
    case 'emails redrive':
      return { name, eventId: id(v.event, 'event'), id: id(v.id, 'id'), dryRun: v['dry-run'] === true };
    case 'reconcile':
      return { name, eventId: requiredId(v.event, 'event'), fix: v.fix === true };
    case 'winners': {
      const format = v.format ?? 'csv';
      if (format !== 'csv' && format !== 'json') throw new UsageError(`--format must be csv or json, got "${format}"`);
      return { name, eventId: requiredId(v.event, 'event'), format };
    }
  }
}

/** The command a command line asks for, or 'help'; a UsageError says what is wrong with it. */
export function parseCommand(argv: string[]): Command | 'help' {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util's messages name the option ("Unknown option '--x'"); its stack is no use to an operator.
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true || positionals.length === 0) return 'help';
  const names = Object.keys(ACCEPTS) as Command['name'][];
  const name = names.find((n) => n === positionals.slice(0, 2).join(' ')) ?? names.find((n) => n === positionals[0]);
  if (name === undefined) throw new UsageError(`unknown command "${positionals.slice(0, 2).join(' ')}"`);
  const words = name.split(' ').length;
  if (positionals.length > words) throw new UsageError(`unexpected "${positionals.slice(words).join(' ')}" after "${name}"`);
  const given = (Object.keys(values) as (keyof Values)[]).filter((k) => values[k] !== undefined);
  const stray = given.filter((k) => !ACCEPTS[name].includes(k));
  if (stray.length > 0) throw new UsageError(`${name} does not take ${stray.map((k) => `--${k}`).join(', ')}`);
  return build(name, values);
}
