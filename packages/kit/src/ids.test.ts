import { status } from '@grpc/grpc-js';
import { isId, parseId } from './ids';
import { ServiceError } from './errors';

describe('ids', () => {
  it.each(['1', '42', '999999999999999999'])('accepts %s', (id) => expect(isId(id)).toBe(true));
  it.each(['', '0', '01', '-1', '1.5', 'abc', '1e5', ' 1', '9999999999999999999'])('rejects %j', (id) =>
    expect(isId(id)).toBe(false),
  );

  it('names the field in the error', () => {
    expect.assertions(2);
    try {
      parseId('x'.repeat(100), 'eventId');
    } catch (err) {
      expect(err).toBeInstanceOf(ServiceError);
      expect((err as ServiceError).code === status.INVALID_ARGUMENT && (err as ServiceError).message).toMatch(
        /^eventId must be a positive integer id/,
      );
    }
  });
});
