import { GrpcStatus, ServiceError } from '@fcfs/kit';
import { checkEmail, parseEmail } from './email-address';

describe('checkEmail', () => {
  it.each([
    ['Alice@Example.COM', 'alice@example.com'],
    ['  bob.smith+tag@mail.example.org \n', 'bob.smith+tag@mail.example.org'],
    ['admin@fcfs.local', 'admin@fcfs.local'],
    ['x@xn--bcher-kva.example', 'x@xn--bcher-kva.example'],
  ])('accepts and normalises %j', (input, email) => {
    expect(checkEmail(input)).toEqual({ ok: true, email });
  });

  it.each([
    ['', 'email is required'],
    ['   ', 'email is required'],
    [`${'a'.repeat(290)}@example.com`, 'at most 254 characters'],
    ['a'.repeat(10 * 1024), 'at most 254 characters'],
    ['alice.example.com', 'exactly one @'],
    ['a@b@example.com', 'exactly one @'],
    ['ali\u0000ce@example.com', 'control characters'],
    ['alice@exa\r\nmple.com', 'control characters'],
    ['ali ce@example.com', 'spaces'],
    ['@example.com', 'a name before the @'],
    ['alice@', 'a domain after the @'],
    ['alice@localhost', 'at least two parts'],
    ['alice@-example.com', 'not a valid domain'],
    ['alice@example..com', 'not a valid domain'],
    ['alice@example.c0m', 'not a valid domain'],
    ['.alice@example.com', 'not allowed'],
    ['al..ice@example.com', 'not allowed'],
    ['"alice"@example.com', 'not allowed'],
    ['alice@exämple.com', 'ASCII'],
    [`${'a'.repeat(65)}@example.com`, 'at most 64 characters'],
  ])('refuses %j, naming the problem', (input, problem) => {
    const result = checkEmail(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain(problem);
  });

  it('refuses what is not a string', () => {
    expect(checkEmail(undefined)).toEqual({ ok: false, problem: 'email is required' });
  });

  it('never echoes the input in the problem', () => {
    const huge = `${'z'.repeat(500)}@example.com`;
    const result = checkEmail(huge);
    expect(!result.ok && result.problem.includes('zzz')).toBe(false);
  });
});

describe('parseEmail', () => {
  it('throws INVALID_ARGUMENT with reason BAD_USER_INPUT', () => {
    let caught: unknown;
    try {
      parseEmail('nope');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ServiceError);
    expect(caught).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, reason: 'BAD_USER_INPUT' });
  });
});
