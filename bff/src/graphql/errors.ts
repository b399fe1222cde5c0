import { GrpcStatus, ServiceError, grpcErrorInfo, type GrpcErrorInfo, type Logger } from '@fcfs/kit';
import { GraphQLError } from 'graphql';

/** The `extensions.code` values of the public contract. */
export const CONTRACT_ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'INVALID_CODE',
  'TOO_MANY_ATTEMPTS',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'NOT_OFFERED',
  'ALREADY_REDEEMED',
  'INTERNAL_SERVER_ERROR',
] as const;

export type ErrorCode = (typeof CONTRACT_ERROR_CODES)[number];

const CONTRACT_CODES = new Set<string>(CONTRACT_ERROR_CODES);

/** What a caller is told: a contract code, a message that is safe to show, and a throttle. */
export interface MappedError {
  code: ErrorCode;
  message: string;
  retryAfterSeconds?: number;
}

export function userError(code: ErrorCode, message: string, retryAfterSeconds?: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: retryAfterSeconds === undefined ? { code } : { code, retryAfterSeconds },
  });
}

const UNAVAILABLE_MESSAGE = 'a service is unavailable; retry shortly';
const INTERNAL_MESSAGE = 'internal error';

/**
 * The one mapping from a failed upstream call (a gRPC status, its `x-error-reason` and
 * `x-retry-after-seconds`) to the contract's error codes. `undefined` means unexpected:
 * the caller logs it and answers a plain INTERNAL_SERVER_ERROR.
 */
export function mapGrpcError(info: GrpcErrorInfo): MappedError | undefined {
  const reason = info.reason;
  const retry =
    info.retryAfterSeconds !== undefined && Number.isFinite(info.retryAfterSeconds)
      ? Math.max(1, Math.ceil(info.retryAfterSeconds))
      : undefined;
  const withRetry = (code: ErrorCode): MappedError =>
    retry === undefined ? { code, message: info.message } : { code, message: info.message, retryAfterSeconds: retry };
  switch (info.code) {
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.OUT_OF_RANGE:
    case GrpcStatus.ALREADY_EXISTS:
    case GrpcStatus.FAILED_PRECONDITION:
      if (reason === 'INVALID_CODE' || reason === 'TOO_MANY_ATTEMPTS') return withRetry(reason);
      if (reason === 'ALREADY_REDEEMED' || reason === 'NOT_OFFERED') return { code: reason, message: info.message };
      return { code: 'BAD_USER_INPUT', message: info.message };
    case GrpcStatus.NOT_FOUND:
      return { code: 'NOT_FOUND', message: info.message };
    case GrpcStatus.PERMISSION_DENIED:
      if (reason === 'TOO_MANY_ATTEMPTS' || reason === 'INVALID_CODE') return withRetry(reason);
      return { code: 'FORBIDDEN', message: info.message };
    case GrpcStatus.UNAUTHENTICATED:
      if (reason === 'INVALID_CODE' || reason === 'TOO_MANY_ATTEMPTS') return withRetry(reason);
      return { code: 'UNAUTHENTICATED', message: info.message };
    case GrpcStatus.RESOURCE_EXHAUSTED: {
      const code: ErrorCode = reason === 'TOO_MANY_ATTEMPTS' ? 'TOO_MANY_ATTEMPTS' : 'RATE_LIMITED';
      return { code, message: info.message, retryAfterSeconds: retry ?? 1 };
    }
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
    case GrpcStatus.ABORTED:
    case GrpcStatus.CANCELLED:
      // A service that knows when to come back says so (auth after an e-mail it could not send).
      return retry === undefined
        ? { code: 'UNAVAILABLE', message: UNAVAILABLE_MESSAGE }
        : { code: 'UNAVAILABLE', message: UNAVAILABLE_MESSAGE, retryAfterSeconds: retry };
    case GrpcStatus.INTERNAL:
      // grpc-js's own words when a connection went away under the call (a server's connection-age GOAWAY
      // meeting a busy client): the service never answered, so it is a transport failure, safe to retry.
      return TRANSPORT_RESET.test(info.message) ? { code: 'UNAVAILABLE', message: UNAVAILABLE_MESSAGE } : undefined;
    default:
      return undefined;
  }
}

const TRANSPORT_RESET = /^(\d+ INTERNAL: )?Received RST_STREAM with code 0\b/;

function isGrpcError(err: unknown): boolean {
  if (err instanceof ServiceError) return true;
  const e = err as { code?: unknown; details?: unknown } | null;
  return typeof e === 'object' && e !== null && typeof e.code === 'number' && typeof e.details === 'string';
}

function infoOf(err: unknown): GrpcErrorInfo {
  if (err instanceof ServiceError) {
    return { code: err.code, message: err.message, reason: err.reason, retryAfterSeconds: err.retryAfterSeconds };
  }
  return grpcErrorInfo(err);
}

export interface ErrorScope {
  logger: Logger;
  requestId: string;
}

/**
 * Turns anything a resolver threw into what the caller sees. A GraphQLError that already
 * carries a contract code passes through; gRPC and kit errors are mapped; anything else is
 * logged with the request id and becomes a plain INTERNAL_SERVER_ERROR (never a stack trace).
 */
export function toGraphQLError(err: unknown, scope: ErrorScope): GraphQLError {
  if (err instanceof GraphQLError && typeof err.extensions['code'] === 'string' && CONTRACT_CODES.has(err.extensions['code'])) {
    return err;
  }
  if (isGrpcError(err)) {
    const info = infoOf(err);
    const mapped = mapGrpcError(info);
    if (mapped !== undefined) {
      if (mapped.code === 'UNAVAILABLE') warnUnavailable(scope, info);
      return userError(mapped.code, mapped.message, mapped.retryAfterSeconds);
    }
  }
  scope.logger.error({ err, requestId: scope.requestId }, 'unexpected error');
  return internalError(scope.requestId);
}

// An outage fails every request; one line every few seconds says enough.
let lastUnavailableLog = 0;
function warnUnavailable(scope: ErrorScope, info: GrpcErrorInfo): void {
  const now = Date.now();
  if (now - lastUnavailableLog < 5_000) return;
  lastUnavailableLog = now;
  scope.logger.warn({ requestId: scope.requestId, grpcCode: info.code, detail: info.message }, 'upstream unavailable');
}

export function internalError(requestId: string): GraphQLError {
  return new GraphQLError(INTERNAL_MESSAGE, { extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } });
}
