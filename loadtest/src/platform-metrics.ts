// The platform's own view of the herd, from its Prometheus metrics: how well applies were
// coalesced (batch sizes) and how long each batch took, per hop. Read before the herd and after
// the drain; the difference is this run's.

/** Histograms worth reading, by metric name: what each one measures. */
export const HISTOGRAMS: Record<string, string> = {
  fcfs_bff_apply_batch_size: 'BFF: applies per ApplyBatch call',
  fcfs_bff_apply_batch_seconds: 'BFF: seconds per ApplyBatch call',
  fcfs_apply_batch_size: 'event: applications per gate Lua call + Kafka send',
  fcfs_apply_gate_seconds: 'event: seconds per batch in the gate Lua call',
  fcfs_apply_produce_seconds: 'event: seconds per batch in the Kafka send (until acked)',
  fcfs_issuer_batch_size: 'issuer: records per decided batch',
  fcfs_issuer_batch_duration_seconds: 'issuer: seconds per decided batch',
};

/** Sums of every `<histogram>_sum` and `<histogram>_count` series (labels added up). */
export function parseHistogramTotals(text: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*?_(?:sum|count))(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[2]);
    if (Number.isFinite(value)) totals[match[1]!] = (totals[match[1]!] ?? 0) + value;
  }
  return totals;
}

export interface HistogramDelta {
  metric: string;
  what: string;
  count: number;
  mean: number;
}

/** This run's count and mean of each known histogram, from two readings. Pure. */
export function histogramDeltas(before: Record<string, number>, after: Record<string, number>): HistogramDelta[] {
  const deltas: HistogramDelta[] = [];
  for (const [metric, what] of Object.entries(HISTOGRAMS)) {
    const count = (after[`${metric}_count`] ?? 0) - (before[`${metric}_count`] ?? 0);
    const sum = (after[`${metric}_sum`] ?? 0) - (before[`${metric}_sum`] ?? 0);
    if (!(`${metric}_count` in after) || count <= 0) continue;
    deltas.push({ metric, what, count, mean: Math.round((sum / count) * 1000) / 1000 });
  }
  return deltas;
}

/** Reads every endpoint (unreachable ones count as empty) and adds their totals up. */
export async function scrapeTotals(urls: string[]): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  await Promise.all(
    urls.map(async (url) => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        if (!res.ok) return;
        for (const [k, v] of Object.entries(parseHistogramTotals(await res.text()))) totals[k] = (totals[k] ?? 0) + v;
      } catch {
        // A part without metrics (or a platform that hides them) just leaves its rows out.
      }
    }),
  );
  return totals;
}
