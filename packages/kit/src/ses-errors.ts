/** What to do after a failed send: try again later, or give up on this e-mail now. */
export interface SendFailure {
  transient: boolean;
  /** Short, secret-free reason (the notifier stores it in `outbox.last_error`). */
  reason: string;
}

// Throttling and account-wide pauses say nothing about this e-mail: it will go through later.
const TRANSIENT_NAMES = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'LimitExceededException',
  'SendingPausedException',
  'ServiceUnavailable',
  'InternalFailure',
  'RequestTimeout',
  'TimeoutError',
  'AbortError',
  'CredentialsProviderError',
]);

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * Classifies an SES v2 client error. Throttling, 5xx, timeouts and connection errors are transient;
 * any other 4xx (MessageRejected, BadRequest, an invalid address, ...) is about this e-mail and permanent.
 * Anything unrecognised is treated as transient: retrying a bad e-mail wastes a few tries, while
 * failing a good one loses it.
 */
export function classifySendError(err: unknown): SendFailure {
  const e: ErrorLike = typeof err === 'object' && err !== null ? (err as ErrorLike) : { message: String(err) };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'string' ? e.code : undefined;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const message = typeof e.message === 'string' && e.message ? e.message : name;
  const reason = truncate([name, code, status && `HTTP ${status}`, message].filter(Boolean).join(': '), 1000);

  if (TRANSIENT_NAMES.has(name) || (code !== undefined && TRANSIENT_CODES.has(code))) return { transient: true, reason };
  if (status === 429 || status === 408) return { transient: true, reason };
  if (status !== undefined && status >= 500) return { transient: true, reason };
  if (status !== undefined && status >= 400) return { transient: false, reason };
  return { transient: true, reason };
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
