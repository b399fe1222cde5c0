import { Metadata, status, type ServiceError as GrpcServiceError } from '@grpc/grpc-js';
import { types } from 'node:util';
import type { Logger } from 'pino';

export { status as GrpcStatus };

/** Metadata keys that carry a domain reason and a throttle across gRPC. */
export const REASON_KEY = 'x-error-reason';
export const RETRY_AFTER_KEY = 'x-retry-after-seconds';

export interface ServiceErrorOptions {
  /** A domain reason, e.g. INVALID_CODE; travels as `x-error-reason`. */
  reason?: string;
  /** For throttles: seconds until a retry can succeed. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/**
 * The one typed error a handler throws. Its message is safe to show a caller;
 * anything else thrown becomes a logged INTERNAL with a plain message.
 */
export class ServiceError extends Error {
  readonly code: status;
  readonly reason: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: status, message: string, options: ServiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
    this.reason = options.reason;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  static invalidArgument(message: string, reason?: string): ServiceError {
    return new ServiceError(status.INVALID_ARGUMENT, message, reason === undefined ? {} : { reason });
  }
  static notFound(message: string): ServiceError {
    return new ServiceError(status.NOT_FOUND, message);
  }
  static permissionDenied(message = 'admin role required'): ServiceError {
    return new ServiceError(status.PERMISSION_DENIED, message);
  }
  static unauthenticated(message = 'a valid session token is required'): ServiceError {
    return new ServiceError(status.UNAUTHENTICATED, message);
  }
  static failedPrecondition(message: string, reason?: string): ServiceError {
    return new ServiceError(status.FAILED_PRECONDITION, message, reason === undefined ? {} : { reason });
  }
  /** `retryAfterSeconds`: when a retry is worth making, if the service knows. */
  static unavailable(message: string, cause?: unknown, retryAfterSeconds?: number): ServiceError {
    return new ServiceError(
      status.UNAVAILABLE,
      message,
      retryAfterSeconds === undefined ? { cause } : { cause, retryAfterSeconds },
    );
  }
  static resourceExhausted(message: string, retryAfterSeconds: number, reason = 'RATE_LIMITED'): ServiceError {
    return new ServiceError(status.RESOURCE_EXHAUSTED, message, { reason, retryAfterSeconds });
  }
}

/** What a failure says about trying again, from classifyError. */
export interface ErrorClass {
  /**
   * Repeating the same work can succeed once the environment recovers: a dependency down or unreachable, a
   * timeout, a deadlock or lock wait, a server failing over. false: the failure comes from the work itself
   * (its data, a bug) and would repeat every time.
   */
  retriable: boolean;
  /** Why, in words fit for a log line or a dead letter: the kind, then the error's code and message. */
  reason: string;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
]);
const CONNECTION_NAMES = new Set([
  'SequelizeConnectionError',
  'SequelizeConnectionRefusedError',
  'SequelizeAccessDeniedError',
  'SequelizeHostNotFoundError',
  'SequelizeHostNotReachableError',
  'SequelizeInvalidConnectionError',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSBrokerNotFound',
  // kafkajs gives up with this after its own retries, which were over a retriable cause.
  'KafkaJSNumberOfRetriesExceeded',
  'MaxRetriesPerRequestError',
]);
const TIMEOUT_NAMES = new Set([
  'SequelizeConnectionAcquireTimeoutError',
  'SequelizeConnectionTimedOutError',
  'SequelizeTimeoutError',
  'KafkaJSRequestTimeoutError',
]);
/** MySQL / MariaDB errors about the server or the moment, never about the statement's data. */
const MYSQL_TRANSIENT: Record<number, string> = {
  1040: 'too many connections',
  1044: 'database access denied',
  1045: 'access denied',
  1049: 'unknown database (not created yet)',
  1053: 'server shutting down',
  1146: 'table missing (not migrated yet)',
  1205: 'lock wait timeout',
  1213: 'deadlock',
  1290: 'server read-only (failing over)',
  1317: 'query interrupted',
  1927: 'connection killed',
  3024: 'query timeout',
};
/** Redis replies that mean "not now": loading after a restart, a busy script, a failover, a cluster change. */
const REDIS_TRANSIENT = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS|MOVED|ASK|NOAUTH|WRONGPASS)\b/;
const CONNECTION_MESSAGES = /Connection is closed|Stream isn't writeable|connect ECONNREFUSED/;
const RETRIABLE_STATUS = new Set<status>([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.ABORTED,
  status.RESOURCE_EXHAUSTED,
]);

interface ErrorFields {
  code?: unknown;
  errno?: unknown;
  fatal?: unknown;
  retriable?: unknown;
  parent?: unknown;
  original?: unknown;
}

/**
 * An Error, whichever realm made it. `instanceof Error` is false for an error from another context: Node's own
 * errors (a socket's EPIPE, which mysql2 hands on as the cause of a failed query) seen from a vm context such as a
 * test runner's. A chain cut there read a dead connection as a fault of the work, and its records were dead-lettered.
 */
function isError(e: unknown): e is Error {
  return e instanceof Error || types.isNativeError(e);
}

/** The error and what it wraps (Sequelize's parent, a cause), outermost first. */
function chainOf(err: Error): Error[] {
  const chain: Error[] = [];
  for (let e: unknown = err; isError(e) && chain.length < 5 && !chain.includes(e);) {
    chain.push(e);
    const f = e as ErrorFields;
    e = f.parent ?? f.original ?? e.cause;
  }
  return chain;
}

/** The transient kind of one error of a chain, or undefined. */
function transientKind(e: Error): string | undefined {
  const { code, errno, fatal, retriable } = e as ErrorFields;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return 'connection';
  if (CONNECTION_NAMES.has(e.name) || CONNECTION_MESSAGES.test(e.message)) return 'connection';
  // mysql2 marks an error that ended the connection as fatal.
  if (fatal === true) return 'connection';
  if (code === 'ETIMEDOUT' || TIMEOUT_NAMES.has(e.name)) return 'timeout';
  if (typeof errno === 'number' && MYSQL_TRANSIENT[errno] !== undefined) return MYSQL_TRANSIENT[errno];
  if (e.name === 'ReplyError' && REDIS_TRANSIENT.test(e.message)) return 'redis not ready';
  // kafkajs says itself whether a protocol error is worth repeating.
  if (e.name.startsWith('KafkaJS') && retriable === true) return 'kafka';
  return undefined;
}

function describe(e: Error): string {
  const { code } = e as ErrorFields;
  return `${typeof code === 'string' ? code : e.name}: ${e.message}`;
}

/**
 * The one place that decides whether a failure is worth repeating (see ErrorClass). What says nothing
 * about the work itself is retriable; anything else, including what is not recognised, is not.
 */
export function classifyError(err: unknown): ErrorClass {
  if (err instanceof ServiceError) {
    return { retriable: RETRIABLE_STATUS.has(err.code), reason: `${status[err.code] ?? err.code}: ${err.message}` };
  }
  if (!isError(err)) return { retriable: false, reason: `not an Error: ${String(err).slice(0, 200)}` };
  const chain = chainOf(err);
  for (const e of chain) {
    const kind = transientKind(e);
    if (kind !== undefined) return { retriable: true, reason: `${kind}: ${describe(e)}` };
  }
  return { retriable: false, reason: describe(chain[chain.length - 1] ?? err) };
}

/**
 * Maps anything a handler threw to what the caller sees, in one place:
 * a ServiceError keeps its code, message and reason; a failure worth retrying
 * (classifyError: a dependency down, a timeout, a deadlock) becomes UNAVAILABLE; everything else is logged and becomes INTERNAL with a
 * plain message. Never a stack trace to the caller.
 */
export function toGrpcError(err: unknown, logger: Logger, method: string): Partial<GrpcServiceError> {
  const metadata = new Metadata();
  if (err instanceof ServiceError) {
    if (err.reason !== undefined) metadata.set(REASON_KEY, err.reason);
    if (err.retryAfterSeconds !== undefined) metadata.set(RETRY_AFTER_KEY, String(err.retryAfterSeconds));
    if (err.code === status.UNAVAILABLE || err.code === status.INTERNAL) {
      logger.warn({ err: err.cause ?? err, method }, err.message);
    }
    return { code: err.code, details: err.message, metadata };
  }
  const { retriable, reason } = classifyError(err);
  if (retriable) {
    logger.warn({ err, method, reason }, 'dependency unavailable');
    return { code: status.UNAVAILABLE, details: 'a dependency is unavailable; retry shortly', metadata };
  }
  logger.error({ err, method }, 'unexpected error');
  return { code: status.INTERNAL, details: 'internal error', metadata };
}

/** What a gRPC client learns from a failed call, including the domain reason and throttle. */
export interface GrpcErrorInfo {
  code: status;
  message: string;
  reason: string | undefined;
  retryAfterSeconds: number | undefined;
}

export function grpcErrorInfo(err: unknown): GrpcErrorInfo {
  const e = err as Partial<GrpcServiceError> | undefined;
  const code = typeof e?.code === 'number' ? e.code : status.UNKNOWN;
  const md = e?.metadata;
  const reason = md?.get(REASON_KEY)[0];
  const retry = md?.get(RETRY_AFTER_KEY)[0];
  return {
    code,
    message: typeof e?.details === 'string' ? e.details : 'request failed',
    reason: reason === undefined ? undefined : String(reason),
    retryAfterSeconds: retry === undefined ? undefined : Number(retry),
  };
}
