import type { HerdResult } from '../result';
import { htmlReport } from './html';
import { escapeHtml, niceTicks } from './svg';
import { herdTable } from './table';

function result(ok = true): HerdResult {
  const latency = { count: 3, mean: 10, p50: 9, p95: 20, p99: 30, max: 31 };
  return {
    scenario: 'herd',
    runId: 'abc',
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:00:10.000Z',
    config: { participants: 3, stock: 1, connections: 3, subscribers: 1, timeoutMs: 60_000, bffUrl: 'http://127.0.0.1:4000' },
    machine: { cpus: 2, cpuModel: 'test cpu', totalMemoryMb: 1024, node: 'v20', platform: 'linux', loadAverage: [0, 0, 0] },
    eventId: '42',
    preparationMs: { tokens: 1, event: 1, subscribers: 1 },
    ceiling: {
      setupMs: 1,
      requests: 3,
      completed: 3,
      durationMs: 1,
      requestsPerSecond: 3000,
      latencyMs: latency,
      errors: {},
      errorSamples: [],
    },
    applies: {
      requests: 3,
      completed: 3,
      durationMs: 2,
      requestsPerSecond: 1500,
      latencyMs: latency,
      errors: ok ? {} : { UNAVAILABLE: 1 },
      errorSamples: ok ? [] : ['200 {"errors":[{"message":"<down>"}]}'],
      setupMs: 1,
      outcomes: { ACCEPTED: 1, SOLD_OUT: 2 },
      latencyByOutcomeMs: { ACCEPTED: { ...latency, count: 1 } },
      latencyByPlaceMs: { 'first on its connection': { ...latency, count: 3 } },
    },
    percentOfCeiling: 50,
    timings: {
      firstApplyToLastApply: 2,
      firstApplyToLastDecision: 40,
      lastApplyToLastDecision: 38,
      firstApplyToAllSubscribersTold: 45,
      firstApplyToAllEmailsSent: undefined,
    },
    subscribers: { count: 1, final: 1, refusedBeforeApply: 0, toldAfterDecisionMs: { ...latency, count: 1 }, errors: [] },
    emails: { expected: 3, sent: 2 },
    listenOverflows: 0,
    platformMetrics: [{ metric: 'fcfs_bff_apply_batch_size', what: 'BFF: applies per ApplyBatch call', count: 2, mean: 1.5 }],
    cpu: { windowMs: 1000, machineBusyPercent: 99, byProcess: [{ name: 'bff', seconds: 0.9 }] },
    latencyHistogram: [
      { from: 5, to: 10, count: 1 },
      { from: 10, to: 20, count: 2 },
    ],
    series: {
      applies: [
        { t: 0, value: 0 },
        { t: 100, value: 3 },
      ],
      decisions: [
        { t: 0, value: 0 },
        { t: 100, value: 3 },
      ],
      emails: [
        { t: 0, value: 0 },
        { t: 1000, value: 2 },
      ],
      subscribersTold: [
        { t: 0, value: 0 },
        { t: 100, value: 1 },
      ],
    },
    invariants: [{ name: 'no PENDING left', ok, detail: 'pending 0' }],
    targets: [{ name: 'applies per second', target: '>= 3000', actual: '1500', met: false }],
    ok,
  };
}

describe('report', () => {
  it('prints a table with every measured number', () => {
    const table = herdTable(result());
    for (const text of [
      'applies per second',
      '1,500',
      '9 / 20 / 30 / 31 ms',
      'ACCEPTED 1, SOLD_OUT 2',
      '  ACCEPTED p50 / p99 / max',
      '3,000',
      '50 %',
      'never',
      'ok   no PENDING left',
      'bff 0.9',
      '2 batches, mean 1.5',
      'miss applies per second',
      'PASS',
    ]) {
      expect(table).toContain(text);
    }
    expect(herdTable(result(false))).toContain('UNAVAILABLE 1');
  });

  it('writes one self-contained HTML page with inline SVG charts', () => {
    const html = htmlReport(result(false));
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(html).toContain('&#60;down&#62;');
    expect(html).toContain('class="verdict fail"');
  });

  it('picks round axis ticks and escapes text', () => {
    expect(niceTicks(10_000)).toEqual([0, 2000, 4000, 6000, 8000, 10000]);
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(escapeHtml('<a href="x">&')).toBe('&#60;a href=&#34;x&#34;&#62;&#38;');
  });
});
