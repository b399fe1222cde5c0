import { cumulativeSeries, latencyHistogram, median, percentiles, tally } from './stats';

describe('stats', () => {
  it('takes nearest-rank percentiles', () => {
    const sample = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    expect(percentiles(sample)).toEqual({ count: 100, mean: 50.5, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(percentiles([])).toEqual({ count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 });
    expect(percentiles([7]).p99).toBe(7);
  });

  it('buckets latencies on a 1-2-5 scale, trimmed to the data', () => {
    const buckets = latencyHistogram([3, 4, 12, 12, 130]);
    expect(buckets[0]).toEqual({ from: 2, to: 5, count: 2 });
    expect(buckets.map((b) => b.count).reduce((a, b) => a + b)).toBe(5);
    expect(buckets[buckets.length - 1]).toEqual({ from: 100, to: 200, count: 1 });
    expect(latencyHistogram([])).toEqual([]);
  });

  it('samples cumulative counts at a fixed step until the last event', () => {
    expect(cumulativeSeries([250, 50, 120], 100)).toEqual([
      { t: 0, value: 0 },
      { t: 100, value: 1 },
      { t: 200, value: 2 },
      { t: 300, value: 3 },
    ]);
    expect(cumulativeSeries([], 100)).toEqual([]);
    expect(cumulativeSeries([NaN, 50], 100)).toEqual([
      { t: 0, value: 0 },
      { t: 100, value: 1 },
    ]);
    expect(cumulativeSeries([1e9], 100, 10)).toHaveLength(11);
  });

  it('tallies and takes medians', () => {
    expect(tally(['A', 'B', 'A'])).toEqual({ A: 2, B: 1 });
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
