import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { runHerd } from './herd';
import type { BenchmarkOptions } from './options';
import type { Progress } from './progress';
import { htmlReport } from './report/html';
import { herdTable, signinTable } from './report/table';
import type { BenchmarkResult } from './result';
import { runSignin } from './signin';
import type { Target } from './target';

/** Runs the chosen scenario against a target and returns every number (nothing written). */
export function runBenchmark(options: BenchmarkOptions, target: Target, progress: Progress): Promise<BenchmarkResult> {
  return options.scenario === 'herd' ? runHerd(options, target, progress) : runSignin(options, target, progress);
}

export function resultTable(result: BenchmarkResult): string {
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
