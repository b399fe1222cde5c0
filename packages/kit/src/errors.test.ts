import { Metadata, status } from '@grpc/grpc-js';
import pino from 'pino';
import { grpcErrorInfo, REASON_KEY, RETRY_AFTER_KEY, ServiceError, toGrpcError } from './errors';

const logger = pino({ level: 'silent' });

describe('toGrpcError', () => {
  it('keeps a ServiceError code, message, reason and retry-after', () => {
    const mapped = toGrpcError(ServiceError.resourceExhausted('slow down', 42), logger, 'm');
    expect(mapped.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(mapped.details).toBe('slow down');
    expect(mapped.metadata?.get(REASON_KEY)).toEqual(['RATE_LIMITED']);
    expect(mapped.metadata?.get(RETRY_AFTER_KEY)).toEqual(['42']);
  });

  it('turns a refused connection into UNAVAILABLE', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
    expect(toGrpcError(err, logger, 'm').code).toBe(status.UNAVAILABLE);
  });

  it('hides anything unexpected behind a plain INTERNAL message', () => {
    const mapped = toGrpcError(new TypeError('cannot read properties of undefined (reading "x")'), logger, 'm');
    expect(mapped.code).toBe(status.INTERNAL);
    expect(mapped.details).toBe('internal error');
  });
});

describe('grpcErrorInfo', () => {
  it('reads the reason and throttle back from metadata', () => {
    const metadata = new Metadata();
    metadata.set(REASON_KEY, 'INVALID_CODE');
    metadata.set(RETRY_AFTER_KEY, '7');
    expect(grpcErrorInfo({ code: status.PERMISSION_DENIED, details: 'wrong code', metadata })).toEqual({
      code: status.PERMISSION_DENIED,
      message: 'wrong code',
      reason: 'INVALID_CODE',
      retryAfterSeconds: 7,
    });
  });
});
