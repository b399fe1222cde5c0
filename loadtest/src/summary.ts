import type { HammerResult } from './hammer';
import type { LoadSummary } from './result';
import { percentiles } from './stats';

/** What a summary is made of: a hammer run's result, or any run with the same counts. */
export type Answers = Pick<HammerResult, 'completed' | 'durationMs' | 'errors' | 'errorSamples' | 'setupMs'> & {
  latencies: ArrayLike<number>;
};

export function summarise(result: Answers, requests: number): LoadSummary {
  return {
    requests,
    completed: result.completed,
    durationMs: round(result.durationMs),
    requestsPerSecond: result.durationMs > 0 ? round((result.completed / result.durationMs) * 1000) : 0,
    latencyMs: roundAll(percentiles(result.latencies)),
    errors: result.errors,
    errorSamples: result.errorSamples,
    setupMs: round(result.setupMs),
  };
}

export function errorCount(summary: LoadSummary): number {
  return Object.values(summary.errors).reduce((a, b) => a + b, 0);
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function roundAll<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v])) as T;
}
