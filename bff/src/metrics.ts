import { registry } from '@fcfs/kit';
import { Counter, Gauge, Histogram } from 'prom-client';

export const httpResponses = new Counter({
  name: 'bff_http_responses_total',
  help: 'HTTP responses of POST/GET /graphql, by status code',
  labelNames: ['status'] as const,
  registers: [registry],
});

export const applies = new Counter({
  name: 'bff_applies_total',
  help: 'apply mutations answered, by outcome (or error code)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const applyBatchSize = new Histogram({
  name: 'bff_apply_batch_size',
  help: 'apply mutations coalesced into one ApplyBatch call',
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
  registers: [registry],
});

export const applyBatchSeconds = new Histogram({
  name: 'bff_apply_batch_seconds',
  help: 'duration of one ApplyBatch call',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const rateLimited = new Counter({
  name: 'bff_rate_limited_total',
  help: 'requests refused by a rate limit, by kind (ip, participant)',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const subscriptions = new Gauge({
  name: 'bff_subscriptions',
  help: 'open GraphQL subscriptions, by field',
  labelNames: ['field'] as const,
  registers: [registry],
});

export const watchStreams = new Gauge({
  name: 'bff_watch_streams',
  help: 'open EventService.WatchEvent streams (one per watched event)',
  registers: [registry],
});

export const upstreamErrors = new Counter({
  name: 'bff_errors_total',
  help: 'GraphQL errors answered, by extensions.code',
  labelNames: ['code'] as const,
  registers: [registry],
});
