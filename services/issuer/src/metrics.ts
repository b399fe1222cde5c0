import { registry } from '@fcfs/kit';
import { Counter, Gauge, Histogram } from 'prom-client';

export const decisionsTotal = new Counter({
  name: 'fcfs_issuer_decisions_total',
  help: 'Decisions written by the issuer, by status (a redelivered record counts again)',
  labelNames: ['status'] as const,
  registers: [registry],
});

export const batchSize = new Histogram({
  name: 'fcfs_issuer_batch_size',
  help: 'Records in one consumed batch',
  buckets: [1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
  registers: [registry],
});

export const batchSeconds = new Histogram({
  name: 'fcfs_issuer_batch_duration_seconds',
  help: 'Time to decide, write and commit one consumed batch',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const stockRemaining = new Gauge({
  name: 'fcfs_stock_remaining',
  help: 'Stock not yet issued, by event being decided now (as of its last decision; the series goes once the event is idle)',
  labelNames: ['event'] as const,
  registers: [registry],
});

/** Events whose series stays this long after their last decision: long enough to see a sell-out reach 0. */
export const REMAINING_IDLE_MS = 15 * 60_000;
/** At most this many events have a series at once (the least recently decided go first). */
export const REMAINING_MAX_EVENTS = 50;

/** Events with a series, least recently decided first (a Map keeps insertion order). */
const lastDecided = new Map<string, number>();

/**
 * Sets an event's remaining stock. The label is bounded to the events decided in the last
 * REMAINING_IDLE_MS (at most REMAINING_MAX_EVENTS): a series per event ever would grow forever.
 */
export function reportRemaining(eventId: string, remaining: number, now = Date.now()): void {
  lastDecided.delete(eventId);
  lastDecided.set(eventId, now);
  stockRemaining.set({ event: eventId }, remaining);
  for (const [event, at] of lastDecided) {
    if (now - at < REMAINING_IDLE_MS && lastDecided.size <= REMAINING_MAX_EVENTS) break;
    lastDecided.delete(event);
    stockRemaining.remove({ event });
  }
}

export const deadLettered = new Counter({
  name: 'fcfs_issuer_dead_letters_total',
  help: 'Records sent to the dead-letter topic',
  registers: [registry],
});

export const staleRebuilds = new Counter({
  name: 'fcfs_issuer_stale_rebuilds_total',
  help: "Chunks whose write found Redis stale against MySQL's watermark (Redis rebuilt from MySQL, decided again)",
  registers: [registry],
});

export const pausedPartitions = new Gauge({
  name: 'fcfs_issuer_paused_partitions',
  help: 'Partitions whose consumption waits for a dependency (retrying with backoff)',
  registers: [registry],
});
