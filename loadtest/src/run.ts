import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { waitForQuiet } from './cpu';
import { runHerd } from './herd';
import type { BenchmarkOptions } from './options';
import type { Progress } from './progress';
import { htmlReport } from './report/html';
import { herdTable, signinTable } from './report/table';
import type { BenchmarkResult, HerdResult } from './result';
import { runSignin } from './signin';
import { runWaitingRoom, waitingRoomTable } from './waiting-room';
import type { Target } from './target';

/** The rehearsal's shape: `--warmup` participants, a tenth of them stock and subscribers, no ceiling. */
export function rehearsalOptions(options: BenchmarkOptions): BenchmarkOptions {
  const participants = options.warmup;
  return {
    ...options,
    participants,
    stock: Math.max(1, Math.round(participants / 10)),
    connections: Math.min(options.connections, participants),
    subscribers: Math.min(options.subscribers, Math.round(participants / 10)),
    ceiling: false,
    warmup: 0,
  };
}

/**
 * Runs the chosen scenario against a target and returns every number (nothing written). The herd
 * is preceded by an untimed rehearsal (`--warmup`): a platform serving an event that opens at a
 * known second has served traffic before it, and a Node process that has not runs its hot path
 * unoptimised — measured 2026-11-22, the same herd ran at ≈ 2,700 applies/s on a platform that had
 * served nothing and ≈ 3,800 on the same platform one herd later. The herd then waits for the
 * machine to go quiet (the rehearsal's MariaDB flushes and the like), as before an opening second.
 */
export async function runBenchmark(options: BenchmarkOptions, target: Target, progress: Progress): Promise<BenchmarkResult> {
  if (options.scenario === 'waiting-room') {
    // The rehearsal here is a waiting room too: the platform has then seen a line drain at full speed, the pace
    // its estimates start from before the measured line moves (as a platform that has run events has).
    if (options.warmup > 0) {
      progress.phase(`rehearsal (not measured): a waiting room of ${options.warmup}`);
      const rehearsal = await runWaitingRoom(rehearsalOptions(options), target, progress);
      progress.phase(`rehearsal: ${rehearsal.ok ? 'every check held' : 'FAILED'}`);
    }
    return runWaitingRoom(options, target, progress);
  }
  if (options.scenario !== 'herd') return runSignin(options, target, progress);
  let rehearsal: HerdResult | undefined;
  let quiet: { waitedMs: number; busy: number | undefined } | undefined;
  if (options.warmup > 0) {
    progress.phase(`rehearsal (not measured): a herd of ${options.warmup} on its own event`);
    rehearsal = await runHerd(rehearsalOptions(options), target, progress, { rehearsal: true });
    progress.phase(
      `rehearsal: ${rehearsal.applies.requestsPerSecond} applies/s, ${rehearsal.ok ? 'every check held' : 'FAILED'}`,
    );
    quiet = await waitForQuiet();
    progress.phase(
      `machine quiet after ${quiet.waitedMs} ms${quiet.busy === undefined ? '' : ` (${Math.round(quiet.busy * 100)} % busy)`}`,
    );
  }
  const result = await runHerd(options, target, progress);
  if (!rehearsal) return result;
  return {
    ...result,
    warmup: {
      participants: rehearsal.config.participants,
      stock: rehearsal.config.stock,
      appliesPerSecond: rehearsal.applies.requestsPerSecond,
      ok: rehearsal.ok,
      quietAfterMs: quiet?.waitedMs ?? 0,
    },
    // A failed rehearsal (an error, a broken invariant) fails the run like the herd's own would.
    ok: result.ok && rehearsal.ok,
  };
}

export function resultTable(result: BenchmarkResult): string {
  if (result.scenario === 'waiting-room') return waitingRoomTable(result);
  return result.scenario === 'herd' ? herdTable(result) : signinTable(result);
}

/** A file-name-safe timestamp, e.g. 2025-01-31T12-00-00-000Z. */
export function fileStamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/** Writes `<out>/<timestamp>.json` and `<out>/<timestamp>.html`; returns their paths. */
export async function writeResults(
  result: BenchmarkResult,
  outDir: string,
  stamp = fileStamp(),
): Promise<{ json: string; html: string }> {
  await mkdir(outDir, { recursive: true });
  const json = path.join(outDir, `${stamp}.json`);
  const html = path.join(outDir, `${stamp}.html`);
  result.files = { ...result.files, json, html };
  await writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(html, htmlReport(result));
  return { json, html };
}
