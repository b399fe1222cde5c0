import { classifySendError } from './ses-errors';

const sdkError = (name: string, status?: number, message = name) =>
  Object.assign(new Error(message), {
    name,
    $fault: 'client',
    $metadata: status === undefined ? {} : { httpStatusCode: status },
  });

describe('classifySendError', () => {
  it.each([
    ['TooManyRequestsException', 429],
    ['ThrottlingException', 400],
    ['LimitExceededException', 400],
    ['SendingPausedException', 400],
    ['Unknown', 429],
    ['Unknown', 500],
    ['Unknown', 503],
    ['InternalFailure', undefined],
  ])('retries %s (HTTP %s)', (name, status) => {
    expect(classifySendError(sdkError(name, status)).transient).toBe(true);
  });

  it.each([
    ['MessageRejected', 400],
    ['BadRequestException', 400],
    ['MailFromDomainNotVerifiedException', 400],
    ['NotFoundException', 404],
    ['Unknown', 400],
  ])('gives up at once on %s (HTTP %s)', (name, status) => {
    expect(classifySendError(sdkError(name, status)).transient).toBe(false);
  });

  it('retries connection errors, timeouts and aborts', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', $metadata: {} });
    expect(classifySendError(refused)).toEqual({
      transient: true,
      reason: 'Error: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1',
    });
    expect(classifySendError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).transient).toBe(true);
    expect(classifySendError(new DOMException('The operation was aborted', 'AbortError')).transient).toBe(true);
    expect(classifySendError(new DOMException('timed out', 'TimeoutError')).transient).toBe(true);
  });

  it('retries what it does not recognise rather than losing a good e-mail', () => {
    expect(classifySendError(new Error('something odd')).transient).toBe(true);
    expect(classifySendError('a string').transient).toBe(true);
    expect(classifySendError(undefined).transient).toBe(true);
  });

  it('names the error, its status and message in the reason, bounded in length', () => {
    expect(classifySendError(sdkError('MessageRejected', 400, 'Email address is not verified.')).reason).toBe(
      'MessageRejected: HTTP 400: Email address is not verified.',
    );
    expect(classifySendError(new Error('x'.repeat(5000))).reason.length).toBeLessThanOrEqual(1000);
  });
});
