import { registry } from '@fcfs/kit';
import { Counter, Gauge, Histogram } from 'prom-client';

// One set per process: every notifier in it (tests run two) reports into the same series.

export const emailsSent = new Counter({
  name: 'fcfs_notifier_emails_sent_total',
  help: 'Result e-mails SES accepted, by result',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const emailsFailed = new Counter({
  name: 'fcfs_notifier_emails_failed_total',
  help: 'Result e-mails given up on (outbox FAILED): rejected = permanent error, exhausted = out of tries',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const emailRetries = new Counter({
  name: 'fcfs_notifier_email_retries_total',
  help: 'Result e-mail sends that failed transiently and were scheduled again',
  registers: [registry],
});

export const outboxPending = new Gauge({
  name: 'fcfs_notifier_outbox_pending',
  help: 'PENDING result e-mails in the outbox (the whole table, the same from every replica)',
  registers: [registry],
});

export const decisionToSent = new Histogram({
  name: 'fcfs_notifier_decision_to_sent_seconds',
  help: 'Time from the decision (outbox decided_at) to SES accepting the result e-mail',
  buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900],
  registers: [registry],
});
