import { registry } from '@fcfs/kit';
import { REMAINING_IDLE_MS, REMAINING_MAX_EVENTS, reportRemaining } from './metrics';

async function remainingSeries(): Promise<Map<string, number>> {
  const metric = await registry.getSingleMetric('fcfs_stock_remaining')!.get();
  return new Map(metric.values.map((v) => [String(v.labels['event']), v.value]));
}

describe('fcfs_stock_remaining (one series per event being decided, never one per event ever)', () => {
  it('keeps an event until it has been idle, and at most REMAINING_MAX_EVENTS events', async () => {
    const start = 1_000_000;
    reportRemaining('sold-out', 0, start);
    reportRemaining('selling', 7, start + 1);
    expect(await remainingSeries()).toEqual(
      new Map([
        ['sold-out', 0],
        ['selling', 7],
      ]),
    );

    reportRemaining('selling', 5, start + REMAINING_IDLE_MS);
    expect(await remainingSeries()).toEqual(new Map([['selling', 5]]));

    for (let i = 0; i < REMAINING_MAX_EVENTS + 10; i++) reportRemaining(`e${i}`, i, start + REMAINING_IDLE_MS + 1 + i);
    const series = await remainingSeries();
    expect(series.size).toBe(REMAINING_MAX_EVENTS);
    expect(series.has('selling')).toBe(false);
    expect(series.get(`e${REMAINING_MAX_EVENTS + 9}`)).toBe(REMAINING_MAX_EVENTS + 9);
  });
});
