import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

// Where the machine's CPU went during the herd and drain (Linux /proc; empty elsewhere). On a
// 2-core box with everything on it, the parts compete for the same cores: this says who won.

const TICKS_PER_SECOND = 100;

/** This checkout: the platform parts counted are the ones started from it. */
const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Which process a command line belongs to, for the processes the benchmark cares about. A part (auth,
 * event, issuer, bff) counts only when it runs from `repoRoot`: on a shared machine another checkout's
 * platform (another engineer's benchmark or tests) has the same command line apart from that path.
 */
export function classifyCommand(cmdline: string, repoRoot: string = REPO_ROOT): string | undefined {
  const part = /(?:services\/([\w-]+)|(bff))\/dist\/main\.js/.exec(cmdline);
  if (part) return cmdline.includes(`${repoRoot}/`) ? (part[1] ?? part[2]) : undefined;
  if (/\bmariadbd\b|\bmysqld\b/.test(cmdline)) return 'mariadb';
  if (/\bredis-server\b/.test(cmdline)) return 'redis';
  if (/kafka\.Kafka\b/.test(cmdline)) return 'kafka';
  if (/aws-ses-v2-local/.test(cmdline)) return 'ses-emulator';
  return undefined;
}

/** utime + stime of one process, in seconds, from a /proc/<pid>/stat line. */
export function cpuSecondsOfStat(stat: string): number {
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Busy and total jiffies of the whole machine, from /proc/stat's first line. */
export function machineTicks(procStat: string): { busy: number; total: number } {
  const values = procStat.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

interface Snapshot {
  at: number;
  machine: { busy: number; total: number } | undefined;
  byPid: Map<number, { name: string; seconds: number }>;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function snapshot(pids: Map<number, string>): Snapshot {
  const byPid = new Map<number, { name: string; seconds: number }>();
  for (const [pid, name] of pids) {
    const stat = read(`/proc/${pid}/stat`);
    if (stat) byPid.set(pid, { name, seconds: cpuSecondsOfStat(stat) });
  }
  const procStat = read('/proc/stat');
  return { at: Date.now(), machine: procStat ? machineTicks(procStat) : undefined, byPid };
}

/** The platform's processes (and the infrastructure's, which other users of this machine share). */
function findProcesses(): Map<number, string> {
  const pids = new Map<number, string>([[process.pid, 'load generator']]);
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return pids;
  }
  for (const entry of entries) {
    const cmdline = read(`/proc/${entry}/cmdline`)?.replace(/\0/g, ' ');
    const name = cmdline ? classifyCommand(cmdline) : undefined;
    if (name) pids.set(Number(entry), name);
  }
  return pids;
}

export interface CpuUsage {
  windowMs: number;
  /** Share of all cores busy during the window (0-100). */
  machineBusyPercent: number | undefined;
  /** CPU seconds per process name during the window, largest first. */
  byProcess: { name: string; seconds: number }[];
}

/** Starts measuring; `stop()` returns what each process used since. */
export function measureCpu(): { stop(): CpuUsage } {
  const pids = findProcesses();
  const start = snapshot(pids);
  return {
    stop() {
      const end = snapshot(pids);
      const totals = new Map<string, number>();
      for (const [pid, { name, seconds }] of end.byPid) {
        const before = start.byPid.get(pid)?.seconds ?? seconds;
        totals.set(name, (totals.get(name) ?? 0) + seconds - before);
      }
      const m0 = start.machine;
      const m1 = end.machine;
      return {
        windowMs: end.at - start.at,
        machineBusyPercent:
          m0 && m1 && m1.total > m0.total ? Math.round(((m1.busy - m0.busy) / (m1.total - m0.total)) * 1000) / 10 : undefined,
        byProcess: [...totals]
          .map(([name, seconds]) => ({ name, seconds: Math.round(seconds * 100) / 100 }))
          .sort((a, b) => b.seconds - a.seconds),
      };
    },
  };
}

export interface QuietOptions {
  /** The machine counts as quiet below this busy share (0–1) over one window. */
  threshold?: number;
  windowMs?: number;
  /** Give up waiting after this long (the herd then starts anyway). */
  maxMs?: number;
  /** /proc/stat's text (injectable for tests); undefined when there is none. */
  readStat?: () => string | undefined;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Waits until the whole machine has been mostly idle for one window: after the rehearsal, MariaDB
 * flushes, Kafka and the JVM tidy up, and a herd started into that measures them too. Returns how
 * long it waited and the last window's busy share (undefined where there is no /proc/stat).
 */
export async function waitForQuiet({
  threshold = 0.25,
  windowMs = 500,
  maxMs = 15_000,
  readStat = () => read('/proc/stat'),
  sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now = Date.now,
}: QuietOptions = {}): Promise<{ waitedMs: number; busy: number | undefined }> {
  const started = now();
  let before = readStat();
  if (before === undefined) return { waitedMs: 0, busy: undefined };
  for (;;) {
    await sleep(windowMs);
    const after = readStat();
    if (after === undefined) return { waitedMs: now() - started, busy: undefined };
    const a = machineTicks(before);
    const b = machineTicks(after);
    const busy = b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
    if (busy < threshold || now() - started >= maxMs) return { waitedMs: now() - started, busy };
    before = after;
  }
}
