import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { ServiceError } from '@fcfs/kit';

/** A 6-digit code from the CSPRNG, leading zeros kept. */
export function generateCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** A request's code: exactly 6 digits (surrounding spaces forgiven), else INVALID_ARGUMENT naming the problem. */
export function parseCode(input: unknown): string {
  const code = typeof input === 'string' ? input.trim() : '';
  if (code === '') throw ServiceError.invalidArgument('code is required', 'BAD_USER_INPUT');
  if (!/^[0-9]{6}$/.test(code)) throw ServiceError.invalidArgument('code must be exactly 6 digits', 'BAD_USER_INPUT');
  return code;
}

/**
 * Keyed hashes, so Redis holds neither a code nor an address nor a client IP in the clear.
 * The code's hash is bound to its address: the same code for two addresses hashes differently.
 */
export function createHasher(secret: string) {
  const hmac = (purpose: string, value: string): string =>
    createHmac('sha256', secret).update(`${purpose}\0${value}`).digest('hex');
  return {
    code: (email: string, code: string): string => hmac('code', `${email}\0${code}`),
    /** Shorter: only a key name, not a secret. */
    address: (email: string): string => hmac('address', email).slice(0, 32),
    clientIp: (ip: string): string => hmac('ip', ip).slice(0, 32),
  };
}

export type Hasher = ReturnType<typeof createHasher>;

/** Constant-time equality of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
