import { parseArgs } from 'node:util';
import * as path from 'node:path';

export type Scenario = 'herd' | 'signin' | 'waiting-room';

/** What one benchmark run does; every field has a default (see `--help`). */
export interface BenchmarkOptions {
  scenario: Scenario;
  participants: number;
  stock: number;
  connections: number;
  subscribers: number;
  /** BFF base URL of a platform that is up; when absent, the run starts one and stops it after. */
  url: string | undefined;
  /** Bound on the whole run (preparation, herd, drain), in milliseconds. */
  timeoutMs: number;
  outDir: string;
  ceiling: boolean;
  cpuProf: boolean;
  /** Sampling heap profiles (every allocation of the herd window, collected or not) beside the CPU ones. */
  heapProf: boolean;
  /** Open the connections as the herd starts instead of before it (warmed with one GET /healthz each). */
  coldConnections: boolean;
  /** Participants of the untimed rehearsal herd on its own event before the measured one (0: none). */
  warmup: number;
  /** SES_SEND_RATE_PER_SECOND for the platform the run starts (undefined: LOADTEST_ENV's, or the environment's). */
  sesRate: number | undefined;
  /** Sign-in: participants of a line whose result e-mails drain during the wave (0: none). */
  line: number;
  /** Waiting room: seconds from the room's opening (the run's start) to the event's; the herd applies in between. */
  roomSeconds: number;
  /** Herd: the event's claim window in seconds (0: none, a win is final at once). */
  claimWindow: number;
  /** Herd with a claim window: the share of winners (0..1) that never claim, so their items pass down the line. */
  noClaimShare: number;
  /** Herd with a claim window: the event's maxOpenOffers (undefined: up to the stock). */
  maxOpenOffers: number | undefined;
}

export const USAGE = `Usage: npm run loadtest -- [options]

  --participants <n>   participants, each applies exactly once            (default 10000)
  --stock <n>          stock of the event                                 (default 1000)
  --connections <n>    keep-alive HTTP connections of the herd            (default 1000)
  --subscribers <n>    participants watching applicationStatus over WS    (default 1000)
  --scenario <s>       herd | signin (sign-in through the e-mail flow) |
                       waiting-room (the herd applies in a waiting room,
                       one draw at the opening, then the drain)     (default herd)
  --room-seconds <n>   waiting-room: seconds the room is open before the
                       event opens (the herd must fit)                   (default 20)
  --url <url>          BFF of a platform that is up (e.g. http://127.0.0.1:4000);
                       without it the run starts the platform and stops it after
  --timeout <seconds>  bound on the whole run                             (default 300)
  --out <dir>          where results go                          (default loadtest/results)
  --no-ceiling         skip the bare-Node ceiling measurement
  --cold-connections   open the herd's connections as it starts (a herd of TCP
                       handshakes too) instead of before it, warmed by one GET
  --warmup <n>         participants of an untimed rehearsal herd on its own
                       event first, so the herd meets a warmed-up platform;
                       0 (the headline) measures a platform that has served
                       nothing, as a fresh deployment meets an opening  (default 0)
  --ses-rate <n>       the SES send budget (SES_SEND_RATE_PER_SECOND) of the
                       platform the run starts; signin default 200, herd 5000
  --line <n>           signin: first <n> participants apply to an event, so
                       their result e-mails drain during the sign-in wave (default 0)
  --claim-window <s>   herd: the event has a claim window of <s> seconds; winners
                       are OFFERED and claim (or not), items pass down the line (default 0)
  --no-claim-share <f> with --claim-window: the share of winners (0..1) that never
                       claim, so their offers expire                  (default 0.2)
  --max-open-offers <n> with --claim-window: the event's maxOpenOffers (default: the stock)
  --cpu-prof           profile the platform's processes (needs no --url); profiles go to <out>
  --heap-prof          sampling heap profiles of the same window (allocations, collected or not)
  --help               this text
`;

const DEFAULTS = {
  participants: 10_000,
  stock: 1_000,
  connections: 1_000,
  subscribers: 1_000,
  timeoutSeconds: 300,
  /** The headline is a platform that has served nothing (issue 15): no rehearsal unless asked. */
  warmup: 0,
  /** A big production account's rate, as issue 16 measures sign-in with. */
  signinSesRate: 200,
};

function positiveInt(name: string, raw: string | undefined, fallback: number, { allowZero = false } = {}): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new Error(`--${name} must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got "${raw}"`);
  }
  return value;
}

/** Parses the command line; throws an Error naming the bad option. `null` means `--help`. */
export function parseOptions(argv: string[], cwd = process.cwd()): BenchmarkOptions | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowNegative: true,
    options: {
      participants: { type: 'string' },
      stock: { type: 'string' },
      connections: { type: 'string' },
      subscribers: { type: 'string' },
      scenario: { type: 'string' },
      url: { type: 'string' },
      timeout: { type: 'string' },
      out: { type: 'string' },
      ceiling: { type: 'boolean', default: true },
      'cpu-prof': { type: 'boolean', default: false },
      'heap-prof': { type: 'boolean', default: false },
      'cold-connections': { type: 'boolean', default: false },
      warmup: { type: 'string' },
      'ses-rate': { type: 'string' },
      line: { type: 'string' },
      'room-seconds': { type: 'string' },
      'claim-window': { type: 'string' },
      'no-claim-share': { type: 'string' },
      'max-open-offers': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const scenario = values.scenario ?? 'herd';
  if (scenario !== 'herd' && scenario !== 'signin' && scenario !== 'waiting-room')
    throw new Error(`--scenario must be herd, signin or waiting-room, got "${scenario}"`);
  const participants = positiveInt('participants', values.participants, DEFAULTS.participants);
  const options: BenchmarkOptions = {
    scenario,
    participants,
    stock: positiveInt('stock', values.stock, DEFAULTS.stock),
    connections: Math.min(positiveInt('connections', values.connections, DEFAULTS.connections), participants),
    subscribers: Math.min(
      positiveInt('subscribers', values.subscribers, DEFAULTS.subscribers, { allowZero: true }),
      participants,
    ),
    url: values.url ? normaliseUrl(values.url) : undefined,
    timeoutMs: positiveInt('timeout', values.timeout, DEFAULTS.timeoutSeconds) * 1000,
    outDir: path.resolve(cwd, values.out ?? path.join('loadtest', 'results')),
    ceiling: values.ceiling,
    cpuProf: values['cpu-prof'],
    heapProf: values['heap-prof'],
    coldConnections: values['cold-connections'],
    warmup: positiveInt('warmup', values.warmup, DEFAULTS.warmup, { allowZero: true }),
    // Only a platform this run starts takes it; one already up keeps its own.
    sesRate:
      values['ses-rate'] !== undefined
        ? positiveInt('ses-rate', values['ses-rate'], DEFAULTS.signinSesRate)
        : scenario === 'signin' && !values.url
          ? DEFAULTS.signinSesRate
          : undefined,
    line: positiveInt('line', values.line, 0, { allowZero: true }),
    roomSeconds: positiveInt('room-seconds', values['room-seconds'], 20),
    claimWindow: positiveInt('claim-window', values['claim-window'], 0, { allowZero: true }),
    noClaimShare: share('no-claim-share', values['no-claim-share'], 0.2),
    maxOpenOffers:
      values['max-open-offers'] === undefined ? undefined : positiveInt('max-open-offers', values['max-open-offers'], 1),
  };
  if (options.claimWindow === 0 && (values['no-claim-share'] !== undefined || values['max-open-offers'] !== undefined))
    throw new Error('--no-claim-share and --max-open-offers need --claim-window');
  if (options.claimWindow > 0 && scenario !== 'herd') throw new Error('--claim-window runs with the herd scenario');
  if (values['ses-rate'] !== undefined && options.url)
    throw new Error('--ses-rate configures a platform this run starts; drop --url');
  if (options.cpuProf && options.url) throw new Error('--cpu-prof profiles a platform this run starts; drop --url');
  if (options.heapProf && options.url) throw new Error('--heap-prof profiles a platform this run starts; drop --url');
  return options;
}

function share(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1)
    throw new Error(`--${name} must be a number from 0 to 1, got "${raw}"`);
  return value;
}

function normaliseUrl(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--url must be http(s), got "${raw}"`);
  return url.origin;
}

/** The options with every default, for programmatic runs (the smoke test). */
export function defaultOptions(overrides: Partial<BenchmarkOptions> = {}): BenchmarkOptions {
  const parsed = parseOptions([]);
  if (!parsed) throw new Error('unreachable');
  const merged = { ...parsed, ...overrides };
  merged.connections = Math.min(merged.connections, merged.participants);
  merged.subscribers = Math.min(merged.subscribers, merged.participants);
  return merged;
}
