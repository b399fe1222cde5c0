import { Metadata, status, type ServiceError as GrpcServiceError } from '@grpc/grpc-js';
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
  static unavailable(message: string, cause?: unknown): ServiceError {
    return new ServiceError(status.UNAVAILABLE, message, { cause });
  }
  static resourceExhausted(message: string, retryAfterSeconds: number, reason = 'RATE_LIMITED'): ServiceError {
    return new ServiceError(status.RESOURCE_EXHAUSTED, message, { reason, retryAfterSeconds });
  }
}

/** Whether an error means a dependency (Redis, MySQL, Kafka) could not be reached. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'PROTOCOL_CONNECTION_LOST'].includes(code)
  ) {
    return true;
  }
  const name = err.name;
  return (
    name === 'SequelizeConnectionError' ||
    name === 'SequelizeConnectionRefusedError' ||
    name === 'SequelizeConnectionAcquireTimeoutError' ||
    name === 'SequelizeHostNotReachableError' ||
    name === 'KafkaJSConnectionError' ||
    name === 'KafkaJSNumberOfRetriesExceeded' ||
    name === 'KafkaJSRequestTimeoutError' ||
    name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|Stream isn't writeable|connect ECONNREFUSED/.test(err.message)
  );
}

/**
 * Maps anything a handler threw to what the caller sees, in one place:
 * a ServiceError keeps its code, message and reason; a dependency that cannot be
 * reached becomes UNAVAILABLE; everything else is logged and becomes INTERNAL with a
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
  if (isConnectionError(err)) {
    logger.warn({ err, method }, 'dependency unavailable');
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
