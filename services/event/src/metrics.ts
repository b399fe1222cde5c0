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
