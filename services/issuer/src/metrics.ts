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
  help: 'Stock not yet issued, by event (as of the last decision)',
  labelNames: ['event'] as const,
  registers: [registry],
});

export const deadLettered = new Counter({
  name: 'fcfs_issuer_dead_letters_total',
  help: 'Records sent to the dead-letter topic',
  registers: [registry],
});

export const pausedPartitions = new Gauge({
  name: 'fcfs_issuer_paused_partitions',
  help: 'Partitions whose consumption waits for a dependency (retrying with backoff)',
  registers: [registry],
});
