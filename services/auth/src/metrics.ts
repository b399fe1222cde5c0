import { registry } from '@fcfs/kit';
import { Counter } from 'prom-client';

export const codeSends = new Counter({
  name: 'fcfs_auth_code_sends_total',
  help: 'Verification code requests, by outcome (sent, throttled, budget: the shared SES send budget was spent, invalid, failed)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const emailsSent = new Counter({
  name: 'fcfs_auth_emails_total',
  help: 'Verification e-mails handed to SES, by result (sent, failed)',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const emailRetries = new Counter({
  name: 'fcfs_auth_email_retries_total',
  help: 'Verification e-mails tried again after a transient SES failure (reset, timeout, throttling)',
  registers: [registry],
});

export const verifications = new Counter({
  name: 'fcfs_auth_verifications_total',
  help: 'Code verifications, by outcome',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const tokensIssued = new Counter({
  name: 'fcfs_auth_tokens_issued_total',
  help: 'Session tokens signed, by role',
  labelNames: ['role'] as const,
  registers: [registry],
});

// Zero series from the start, so dashboards and rate() see every outcome before it first happens.
for (const outcome of ['sent', 'throttled', 'budget', 'invalid', 'failed']) codeSends.labels(outcome).inc(0);
for (const result of ['sent', 'failed']) emailsSent.labels(result).inc(0);
for (const outcome of ['verified', 'wrong', 'missing', 'used', 'too-many-attempts', 'throttled'])
  verifications.labels(outcome).inc(0);
