// Plain numbers in, plain numbers out: the summaries the table and the report print.

export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of a sample (milliseconds, any order). Empty -> zeros. */
export function percentiles(sample: ArrayLike<number>): Percentiles {
  const n = sample.length;
  if (n === 0) return { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(sample).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const rank = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] ?? 0;
  return { count: n, mean: sum / n, p50: rank(50), p95: rank(95), p99: rank(99), max: sorted[n - 1] ?? 0 };
}

export interface HistogramBucket {
  /** Inclusive lower bound, milliseconds. */
  from: number;
  /** Exclusive upper bound, milliseconds. */
  to: number;
  count: number;
}

/**
 * Latencies in buckets whose width grows by powers of two (1, 2, 5, 10, 20, 50 ms ...), so a
 * herd's short and long waits both stay readable on one chart.
 */
export function latencyHistogram(sample: ArrayLike<number>): HistogramBucket[] {
  if (sample.length === 0) return [];
  let max = 0;
  for (let i = 0; i < sample.length; i++) max = Math.max(max, sample[i] ?? 0);
  if (!Number.isFinite(max)) max = Number.MAX_SAFE_INTEGER;
  const edges = [0];
  for (let decade = 1; edges[edges.length - 1]! <= max && decade < 1e16; decade *= 10) {
    for (const step of [1, 2, 5]) edges.push(step * decade);
  }
  const buckets = edges.slice(0, -1).map((from, i) => ({ from, to: edges[i + 1]!, count: 0 }));
  for (let i = 0; i < sample.length; i++) {
    const v = sample[i] ?? 0;
    const bucket = buckets.find((b) => v >= b.from && v < b.to) ?? buckets[buckets.length - 1]!;
    bucket.count++;
  }
  // Trim empty buckets at both ends, keeping the chart's range on the data.
  let first = 0;
  while (first < buckets.length - 1 && buckets[first]!.count === 0) first++;
  let last = buckets.length - 1;
  while (last > first && buckets[last]!.count === 0) last--;
  return buckets.slice(first, last + 1);
}

/** One point of a cumulative series: `t` milliseconds after the run's first apply. */
export interface SeriesPoint {
  t: number;
  value: number;
}

/**
 * Cumulative counts of event times (ms since the origin), sampled every `stepMs`; the step grows
 * when needed so that a series never has more than `maxPoints` points. Non-finite times are dropped.
 */
export function cumulativeSeries(times: ArrayLike<number>, stepMs: number, maxPoints = 2_000): SeriesPoint[] {
  const sorted = Float64Array.from(times)
    .filter((v) => Number.isFinite(v))
    .sort();
  if (sorted.length === 0) return [];
  const end = sorted[sorted.length - 1]!;
  const step = Math.max(stepMs, Math.ceil(end / maxPoints));
  const points: SeriesPoint[] = [{ t: 0, value: 0 }];
  let i = 0;
  for (let t = step; points.length <= maxPoints; t += step) {
    while (i < sorted.length && sorted[i]! <= t) i++;
    points.push({ t, value: i });
    if (t >= end) break;
  }
  return points;
}

/** Counts per key, for errors by code and outcomes. */
export function tally(keys: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

/** The median of several runs' values (for the README's numbers). */
export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
