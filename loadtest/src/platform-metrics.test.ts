import { histogramDeltas, parseHistogramTotals } from './platform-metrics';

const before = `# HELP fcfs_bff_apply_batch_size x
fcfs_bff_apply_batch_size_bucket{le="1"} 3
fcfs_bff_apply_batch_size_sum 10
fcfs_bff_apply_batch_size_count 5
fcfs_apply_batch_size_sum{event="1"} 0
fcfs_apply_batch_size_count{event="1"} 0
`;
const after = `fcfs_bff_apply_batch_size_sum 1010
fcfs_bff_apply_batch_size_count 15
fcfs_apply_batch_size_sum{event="1"} 600
fcfs_apply_batch_size_count{event="1"} 2
fcfs_apply_batch_size_sum{event="2"} 400
fcfs_apply_batch_size_count{event="2"} 2
`;

describe('platform metrics', () => {
  it('adds up the sums and counts of histograms across labels', () => {
    expect(parseHistogramTotals(after)).toEqual({
      fcfs_bff_apply_batch_size_sum: 1010,
      fcfs_bff_apply_batch_size_count: 15,
      fcfs_apply_batch_size_sum: 1000,
      fcfs_apply_batch_size_count: 4,
    });
  });

  it("reports this run's count and mean per histogram", () => {
    expect(histogramDeltas(parseHistogramTotals(before), parseHistogramTotals(after))).toEqual([
      { metric: 'fcfs_bff_apply_batch_size', what: 'BFF: applies per ApplyBatch call', count: 10, mean: 100 },
      { metric: 'fcfs_apply_batch_size', what: 'event: applications per gate Lua call + Kafka send', count: 4, mean: 250 },
    ]);
  });
});
