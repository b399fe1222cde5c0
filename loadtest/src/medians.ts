// The median of several herd runs' headline numbers, for the README:
//   node loadtest/dist/medians.js loadtest/results/<a>.json loadtest/results/<b>.json ...
import { readFileSync } from 'node:fs';
import type { HerdResult } from './result';
import { median } from './stats';

type Pick = (r: HerdResult) => number | undefined;

/** a / b to two decimals (the targets are ratios to the same run's ceiling). */
const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : Math.round((a / b) * 100) / 100;

/** The rows of the README's table: a label and how to read the number from one run. */
export const HEADLINES: [string, Pick][] = [
  ['applies per second', (r) => r.applies.requestsPerSecond],
  ['ceiling requests per second', (r) => r.ceiling?.requestsPerSecond],
  ['applies/s as % of ceiling', (r) => r.percentOfCeiling],
  ['apply latency p50 (ms)', (r) => r.applies.latencyMs.p50],
  ['apply latency p95 (ms)', (r) => r.applies.latencyMs.p95],
  ['apply latency p99 (ms)', (r) => r.applies.latencyMs.p99],
  ['apply latency max (ms)', (r) => r.applies.latencyMs.max],
  ['ceiling latency p99 (ms)', (r) => r.ceiling?.latencyMs.p99],
  ['apply p99 / ceiling p99', (r) => ratio(r.applies.latencyMs.p99, r.ceiling?.latencyMs.p99)],
  ['first on its connection p99 (ms)', (r) => r.applies.latencyByPlaceMs['first on its connection']?.p99],
  [
    'first on its connection p99 / ceiling p99',
    (r) => ratio(r.applies.latencyByPlaceMs['first on its connection']?.p99, r.ceiling?.latencyMs.p99),
  ],
  ['apply errors', (r) => Object.values(r.applies.errors).reduce((a, b) => a + b, 0)],
  ['invariant violations', (r) => r.invariants.filter((c) => !c.ok).length],
  ['first apply to last decision (ms)', (r) => r.timings.firstApplyToLastDecision],
  ['last apply to last decision (ms)', (r) => r.timings.lastApplyToLastDecision],
  ['first apply to every subscriber told (ms)', (r) => r.timings.firstApplyToAllSubscribersTold],
  ['subscriber told after decision, p50 (ms)', (r) => r.subscribers.toldAfterDecisionMs.p50],
  ['subscriber told after decision, max (ms)', (r) => r.subscribers.toldAfterDecisionMs.max],
  ['first apply to every e-mail sent (ms)', (r) => r.timings.firstApplyToAllEmailsSent],
  ['machine busy during herd + drain (%)', (r) => r.cpu.machineBusyPercent],
];

export function medianTable(runs: HerdResult[]): string {
  const lines = [`| | median of ${runs.length} | runs |`, '|---|---:|---|'];
  for (const [label, pick] of HEADLINES) {
    const values = runs.map(pick).filter((v): v is number => v !== undefined);
    const shown = values.length ? String(Math.round(median(values) * 10) / 10) : 'n/a';
    lines.push(`| ${label} | ${shown} | ${runs.map((r) => pick(r) ?? 'never').join(', ')} |`);
  }
  const processes = [...new Set(runs.flatMap((r) => r.cpu.byProcess.map((p) => p.name)))];
  for (const name of processes) {
    const values = runs.map((r) => r.cpu.byProcess.find((p) => p.name === name)?.seconds ?? 0);
    lines.push(`| CPU seconds: ${name} | ${Math.round(median(values) * 100) / 100} | ${values.join(', ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

if (require.main === module) {
  const runs = process.argv.slice(2).map((file) => JSON.parse(readFileSync(file, 'utf8')) as HerdResult);
  if (runs.length === 0) {
    process.stderr.write('usage: node loadtest/dist/medians.js <result.json>...\n');
    process.exit(2);
  }
  process.stdout.write(medianTable(runs.filter((r) => r.scenario === 'herd')));
}
