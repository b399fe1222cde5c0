import { registry } from '@fcfs/kit';
import { Counter, Histogram } from 'prom-client';

export const appliesTotal = new Counter({
  name: 'fcfs_applies_total',
  help: 'Applications answered by the gate, by outcome',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const applyBatchSize = new Histogram({
  name: 'fcfs_apply_batch_size',
  help: 'Applications decided by one gate Lua call and produced in one Kafka send',
  buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000],
  registers: [registry],
});

export const watchStreams = new Counter({
  name: 'fcfs_watch_streams_opened_total',
  help: 'WatchEvent streams opened',
  registers: [registry],
});

export const pendingSwept = new Counter({
  name: 'fcfs_event_pending_swept_total',
  help: 'PENDING applications swept because their record never reached Kafka (the event service died before the produce)',
  registers: [registry],
});

const STAGE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Where an apply batch's time goes, part 1: the gate (the admit Lua call, per batch). */
export const applyGateSeconds = new Histogram({
  name: 'fcfs_apply_gate_seconds',
  help: 'Seconds per apply batch in the gate (the admit Lua calls)',
  buckets: STAGE_BUCKETS,
  registers: [registry],
});

/** Part 2: the produce, until the broker acknowledged (acks=all). */
export const applyProduceSeconds = new Histogram({
  name: 'fcfs_apply_produce_seconds',
  help: 'Seconds per apply batch in the Kafka send, until the broker acknowledged it (acks=all)',
  buckets: STAGE_BUCKETS,
  registers: [registry],
});
