import { registry } from '@fcfs/kit';
import { Counter, Gauge, Histogram } from 'prom-client';

/**
 * The edge's latency, the apply SLO's source: a GraphQL operation over HTTP from its admission to its
 * answer. `operation` is the root field (a field of the schema, so a bounded set; several root fields
 * or none: `other`), `outcome` is `ok` or the answer's first error code (the contract's codes).
 */
export const requestSeconds = new Histogram({
  name: 'fcfs_bff_request_duration_seconds',
  help: 'GraphQL operations over HTTP, admission to answer, by root field and outcome (ok or the error code)',
  labelNames: ['operation', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const httpResponses = new Counter({
  name: 'fcfs_bff_http_responses_total',
  help: 'HTTP responses of POST/GET /graphql, by status code',
  labelNames: ['status'] as const,
  registers: [registry],
});

export const applies = new Counter({
  name: 'fcfs_bff_applies_total',
  help: 'apply mutations answered, by outcome (or error code)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const applyBatchSize = new Histogram({
  name: 'fcfs_bff_apply_batch_size',
  help: 'apply mutations coalesced into one ApplyBatch call',
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
  registers: [registry],
});

export const applyBatchSeconds = new Histogram({
  name: 'fcfs_bff_apply_batch_seconds',
  help: 'duration of one ApplyBatch call',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const rateLimited = new Counter({
  name: 'fcfs_bff_rate_limited_total',
  help: 'requests refused by a rate limit, by kind (ip, participant)',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const subscriptions = new Gauge({
  name: 'fcfs_bff_subscriptions',
  help: 'open GraphQL subscriptions, by field',
  labelNames: ['field'] as const,
  registers: [registry],
});

export const watchStreams = new Gauge({
  name: 'fcfs_bff_watch_streams',
  help: 'open EventService.WatchEvent streams (one per watched event)',
  registers: [registry],
});

export const upstreamErrors = new Counter({
  name: 'fcfs_bff_errors_total',
  help: 'GraphQL errors answered, by extensions.code',
  labelNames: ['code'] as const,
  registers: [registry],
});
