import { GrpcStatus } from '@fcfs/kit';
import { createHasher, generateCode, parseCode, sameDigest } from './codes';

describe('verification codes', () => {
  it('are six digits, leading zeros kept', () => {
    for (let i = 0; i < 1000; i++) expect(generateCode()).toMatch(/^[0-9]{6}$/);
  });

  it('parse only as exactly six digits', () => {
    expect(parseCode(' 012345 ')).toBe('012345');
    for (const bad of ['', '12345', '1234567', '12a456', '１２３４５６', undefined]) {
      expect(() => parseCode(bad)).toThrow(
        expect.objectContaining({ code: GrpcStatus.INVALID_ARGUMENT, reason: 'BAD_USER_INPUT' }),
      );
    }
  });

  it('hash with the secret and the address', () => {
    const a = createHasher('secret-one-0123456789');
    const b = createHasher('secret-two-0123456789');
    expect(a.code('x@example.com', '123456')).toBe(a.code('x@example.com', '123456'));
    expect(a.code('x@example.com', '123456')).not.toBe(b.code('x@example.com', '123456'));
    expect(a.code('x@example.com', '123456')).not.toBe(a.code('y@example.com', '123456'));
    expect(a.code('x@example.com', '123456')).not.toContain('123456');
    expect(a.address('x@example.com')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('compare digests in constant time, refusing different lengths and empties', () => {
    const h = createHasher('secret-one-0123456789').code('x@example.com', '123456');
    expect(sameDigest(h, h)).toBe(true);
    expect(sameDigest(h, h.replace(/.$/, h.endsWith('0') ? '1' : '0'))).toBe(false);
    expect(sameDigest(h, h.slice(0, 10))).toBe(false);
    expect(sameDigest('', '')).toBe(false);
  });
});
