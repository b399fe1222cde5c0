import { medianTable } from './medians';
import type { HerdResult } from './result';

/** Just what medianTable reads of a run. */
function run(applyP99: number, ceilingP99: number, firstP99: number): HerdResult {
  const latency = (p99: number) => ({ count: 1, mean: 1, p50: 1, p95: 1, p99, max: p99 });
  return {
    scenario: 'herd',
    applies: {
      requestsPerSecond: 1000,
      latencyMs: latency(applyP99),
      latencyByPlaceMs: { 'first on its connection': latency(firstP99) },
      errors: {},
    },
    ceiling: { requestsPerSecond: 10_000, latencyMs: latency(ceilingP99) },
    percentOfCeiling: 10,
    invariants: [],
    timings: {},
    subscribers: { toldAfterDecisionMs: latency(1) },
    cpu: { byProcess: [] },
  } as unknown as HerdResult;
}

it('gives the ratios the targets are stated in, each run against its own ceiling, and their median', () => {
  const table = medianTable([run(300, 100, 900), run(200, 50, 100), run(400, 100, 300)]);
  expect(table).toContain('| apply p99 / ceiling p99 | 4 | 3, 4, 4 |');
  expect(table).toContain('| first on its connection p99 / ceiling p99 | 3 | 9, 2, 3 |');
  expect(table).toContain('| ceiling latency p99 (ms) | 100 | 100, 50, 100 |');
});
