import { GrpcStatus, ServiceError, testLoggerless } from '../../test/helpers';
import { Metadata } from '@grpc/grpc-js';
import { GraphQLError } from 'graphql';
import { mapGrpcError, toGraphQLError } from './errors';

function grpcError(code: GrpcStatus, details: string, md: Record<string, string> = {}) {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(md)) metadata.set(k, v);
  return Object.assign(new Error(details), { code, details, metadata });
}

const info = (code: GrpcStatus, reason?: string, retryAfterSeconds?: number) => ({
  code,
  message: 'm',
  reason,
  retryAfterSeconds,
});

describe('mapGrpcError', () => {
  it.each([
    [info(GrpcStatus.INVALID_ARGUMENT), 'BAD_USER_INPUT'],
    [info(GrpcStatus.INVALID_ARGUMENT, 'INVALID_CODE'), 'INVALID_CODE'],
    [info(GrpcStatus.INVALID_ARGUMENT, 'TOO_MANY_ATTEMPTS'), 'TOO_MANY_ATTEMPTS'],
    [info(GrpcStatus.FAILED_PRECONDITION), 'BAD_USER_INPUT'],
    [info(GrpcStatus.FAILED_PRECONDITION, 'ALREADY_REDEEMED'), 'ALREADY_REDEEMED'],
    [info(GrpcStatus.NOT_FOUND), 'NOT_FOUND'],
    [info(GrpcStatus.PERMISSION_DENIED), 'FORBIDDEN'],
    [info(GrpcStatus.UNAUTHENTICATED), 'UNAUTHENTICATED'],
    [info(GrpcStatus.UNAVAILABLE), 'UNAVAILABLE'],
    [info(GrpcStatus.DEADLINE_EXCEEDED), 'UNAVAILABLE'],
    [info(GrpcStatus.RESOURCE_EXHAUSTED, 'RATE_LIMITED', 30), 'RATE_LIMITED'],
    [info(GrpcStatus.RESOURCE_EXHAUSTED, 'TOO_MANY_ATTEMPTS', 30), 'TOO_MANY_ATTEMPTS'],
  ])('maps %p to %s', (given, code) => {
    expect(mapGrpcError(given)?.code).toBe(code);
  });

  it('carries the throttle of RESOURCE_EXHAUSTED, at least one second', () => {
    expect(mapGrpcError(info(GrpcStatus.RESOURCE_EXHAUSTED, 'RATE_LIMITED', 12.2))).toMatchObject({ retryAfterSeconds: 13 });
    expect(mapGrpcError(info(GrpcStatus.RESOURCE_EXHAUSTED))).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
  });

  it('passes on when to retry an UNAVAILABLE only when the service said', () => {
    expect(mapGrpcError(info(GrpcStatus.UNAVAILABLE, undefined, 1))).toMatchObject({ code: 'UNAVAILABLE', retryAfterSeconds: 1 });
    expect(mapGrpcError(info(GrpcStatus.UNAVAILABLE))).not.toHaveProperty('retryAfterSeconds');
  });

  it('keeps the message of bad input but not of an outage', () => {
    expect(
      mapGrpcError({ ...info(GrpcStatus.FAILED_PRECONDITION), message: 'stock 3 is below the 5 already issued' })?.message,
    ).toBe('stock 3 is below the 5 already issued');
    expect(mapGrpcError({ ...info(GrpcStatus.UNAVAILABLE), message: 'connect ECONNREFUSED 10.0.0.1' })?.message).not.toContain(
      '10.0.0.1',
    );
  });

  it('leaves INTERNAL and UNKNOWN to the caller as unexpected', () => {
    expect(mapGrpcError(info(GrpcStatus.INTERNAL))).toBeUndefined();
    expect(mapGrpcError(info(GrpcStatus.UNKNOWN))).toBeUndefined();
  });
});

describe('toGraphQLError', () => {
  const logs: unknown[] = [];
  const scope = { logger: testLoggerless(logs), requestId: 'r-1' };

  it('maps a grpc-js error with its reason and throttle from the metadata', () => {
    const err = toGraphQLError(
      grpcError(GrpcStatus.RESOURCE_EXHAUSTED, 'slow down', { 'x-error-reason': 'RATE_LIMITED', 'x-retry-after-seconds': '7' }),
      scope,
    );
    expect(err.message).toBe('slow down');
    expect(err.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 7 });
  });

  it('answers a connection reset under the call (grpc-js: RST_STREAM code 0) as a retryable UNAVAILABLE', () => {
    const err = toGraphQLError(
      grpcError(GrpcStatus.INTERNAL, 'Received RST_STREAM with code 0 (Call ended without gRPC status)'),
      scope,
    );
    expect(err.extensions).toEqual({ code: 'UNAVAILABLE' });
    // A service's own INTERNAL stays unexpected.
    expect(toGraphQLError(grpcError(GrpcStatus.INTERNAL, 'internal error'), scope).extensions['code']).toBe(
      'INTERNAL_SERVER_ERROR',
    );
  });

  it('maps a kit ServiceError (e.g. an ApplyBatch item error)', () => {
    const err = toGraphQLError(new ServiceError(GrpcStatus.NOT_FOUND, 'event 9 does not exist'), scope);
    expect(err.extensions['code']).toBe('NOT_FOUND');
  });

  it('passes a GraphQLError that already has a contract code', () => {
    const given = new GraphQLError('no', { extensions: { code: 'FORBIDDEN' } });
    expect(toGraphQLError(given, scope)).toBe(given);
  });

  it('turns anything else into a plain INTERNAL_SERVER_ERROR, logged with the request id', () => {
    logs.length = 0;
    const err = toGraphQLError(new TypeError('cannot read x of undefined'), scope);
    expect(err.message).toBe('internal error');
    expect(err.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'r-1' });
    expect(JSON.stringify(err.toJSON())).not.toContain('TypeError');
    expect(logs).toHaveLength(1);
    expect(toGraphQLError(grpcError(GrpcStatus.INTERNAL, 'db exploded at line 4'), scope).message).toBe('internal error');
  });
});
