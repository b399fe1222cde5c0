import * as path from 'node:path';
import { mintTokens, REPO_ROOT, type MintedToken } from './tokens';

/** Where the platform under test is and how to reach what the checks read. */
export interface Target {
  bffUrl: string;
  sesUrl: string;
  mysqlUrl: string;
  issuerAddress: string;
  /** Session tokens signed with the auth service's key, never through an API (see tokens.ts). */
  mintTokens(emails: string[]): Promise<MintedToken[]>;
  adminEmail: string;
  /** Stops what the run started; a no-op for a platform that was already up. */
  stop(): Promise<void>;
  /** The parts' Prometheus endpoints, read before and after the herd (batch sizes per hop). */
  metricsUrls?: string[];
  /** Marks the herd's start and the drain's end (for `--cpu-prof`: the profiled window). */
  herdWindow?: { start(): void; end(): void };
}

/**
 * Limits a real deployment keeps but a benchmark from one address must lift: the BFF's per-IP,
 * per-participant and global rate limits, its socket caps (1,000 subscribers and the herd's connections
 * all come from 127.0.0.1), the auth throttles (sign-in scenario: sends, and the failed-verification
 * budget, which counts each verification while it is in flight) and the SES send budget
 * (the emulator is not SES's sandbox; the sign-in scenario sets the budget it measures with,
 * `--ses-rate`). A variable set in the environment wins over these.
 */
export const LOADTEST_ENV: Record<string, string> = {
  BFF_RATE_LIMIT_IP_PER_MINUTE: '0',
  BFF_RATE_LIMIT_PARTICIPANT_PER_MINUTE: '0',
  BFF_RATE_LIMIT_GLOBAL_PER_MINUTE: '0',
  BFF_WS_MAX_SOCKETS_PER_ADDRESS: '0',
  BFF_WS_MAX_SOCKETS_PER_PARTICIPANT: '0',
  AUTH_SEND_COOLDOWN_SECONDS: '0',
  AUTH_SEND_PER_IP_MAX: '100000000',
  AUTH_SEND_PER_ADDRESS_MAX: '1000',
  AUTH_SEND_PER_ADDRESS_TOTAL_MAX: '1000',
  AUTH_VERIFY_FAILURES_PER_IP_MAX: '100000000',
  AUTH_VERIFY_FAILURES_GLOBAL_MAX: '100000000',
  SES_SEND_RATE_PER_SECOND: '5000',
  NOTIFIER_CONCURRENCY: '64',
  LOG_LEVEL: 'warn',
};

/** The BFF's /metrics and the services' metrics ports (scripts/platform.js's defaults, or <PART>_METRICS_PORT). */
function metricsUrls(bffUrl: string, env: Record<string, string | undefined>): string[] {
  const port = (part: string, fallback: string) => env[`${part}_METRICS_PORT`] ?? fallback;
  return [
    `${bffUrl}/metrics`,
    `http://127.0.0.1:${port('EVENT', '9102')}/metrics`,
    `http://127.0.0.1:${port('ISSUER', '9103')}/metrics`,
  ];
}

function defaults(env: Record<string, string | undefined>) {
  return {
    sesUrl: env['SES_ENDPOINT'] ?? 'http://127.0.0.1:8005',
    mysqlUrl: env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/fcfs',
    issuerAddress: env['ISSUER_ADDRESS'] ?? '127.0.0.1:7053',
    adminEmail: (env['AUTH_ADMIN_EMAILS'] ?? 'admin@fcfs.local').split(',')[0]!.trim(),
  };
}

/** A platform that is already up at `bffUrl`; the rest comes from the environment or the local defaults. */
export function attachTarget(bffUrl: string, env: Record<string, string | undefined> = process.env): Target {
  return {
    bffUrl,
    ...defaults(env),
    metricsUrls: metricsUrls(bffUrl, env),
    mintTokens: (emails) => mintTokens(emails, env),
    stop: async () => undefined,
  };
}

/** What scripts/platform.js's `startPlatform` resolves to (the parts we use). */
interface StartedPlatform {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  bffUrl: string;
  /** The SES emulator's store, e.g. http://127.0.0.1:8005/store. */
  sesUrl: string;
  adminEmail: string;
  /** The environment every part runs with. */
  env: Record<string, string>;
  parts: Record<string, { pid: number | undefined }>;
  stop(): Promise<void>;
}

/**
 * Starts the whole platform as `npm start` does (scripts/platform.js), with the benchmark's
 * limits, and optionally with every Node process writing a CPU profile to `cpuProfDir`.
 */
export async function launchTarget(options: {
  cpuProfDir?: string | undefined;
  /** Which profiles each process writes there: `cpu` (default), `heap` (sampling heap profiler). */
  profileKinds?: string[];
  log: (line: string) => void;
  /** What the run's options set (`--ses-rate`): wins over the environment. */
  env?: Record<string, string>;
}): Promise<Target> {
  // The environment still wins over LOADTEST_ENV, e.g. SES_SEND_RATE_PER_SECOND=100 npm run loadtest.
  const overrides: Record<string, string> = {};
  for (const [key, value] of Object.entries(LOADTEST_ENV)) overrides[key] = process.env[key] ?? value;
  Object.assign(overrides, options.env);
  if (options.cpuProfDir) {
    // Node refuses --cpu-prof in NODE_OPTIONS; a preloaded module starts the same profiler.
    const preload = path.join(__dirname, 'cpu-profile-preload.js');
    overrides['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --require ${preload}`.trim();
    overrides['LOADTEST_CPU_PROF_DIR'] = options.cpuProfDir;
    overrides['LOADTEST_PROFILE_KINDS'] = (options.profileKinds ?? ['cpu']).join(',');
  }
  const { startPlatform } = require(path.join(REPO_ROOT, 'scripts/platform.js')) as {
    startPlatform(o: { env: Record<string, string>; log: (line: string) => void }): Promise<StartedPlatform>;
  };
  const platform = await startPlatform({ env: overrides, log: options.log });
  // Each profiled process toggles its profiler on SIGUSR2 (cpu-profile-preload.ts).
  const signalParts = () => {
    for (const { pid } of Object.values(platform.parts)) if (pid) process.kill(pid, 'SIGUSR2');
  };
  return {
    ...(options.cpuProfDir ? { herdWindow: { start: signalParts, end: signalParts } } : {}),
    ...defaults(platform.env),
    bffUrl: new URL(platform.bffUrl).origin,
    metricsUrls: metricsUrls(new URL(platform.bffUrl).origin, process.env),
    sesUrl: platform.sesUrl.replace(/\/store\/?$/, ''),
    adminEmail: platform.adminEmail || defaults(platform.env).adminEmail,
    mintTokens: (emails) => mintTokens(emails, platform.env),
    stop: () => platform.stop(),
  };
}
