import { ServiceError } from '@fcfs/kit';

export const MAX_EMAIL_LENGTH = 254;

// RFC 5321/5322 dot-atom local part; quoted local parts are not accepted.
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const TOP_LEVEL = /^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
// eslint-disable-next-line no-control-regex
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u009f\u2028\u2029]/;

/** Why an address was refused, or the normalised address. */
export type EmailCheck = { ok: true; email: string } | { ok: false; problem: string };

/**
 * Normalises (trim, lower case) and validates an e-mail address. Plain function: the
 * problem is phrased for the caller and never echoes the (possibly huge) input.
 */
export function checkEmail(input: unknown): EmailCheck {
  if (typeof input !== 'string') return { ok: false, problem: 'email is required' };
  if (input.length > 4 * MAX_EMAIL_LENGTH) return { ok: false, problem: `email must be at most ${MAX_EMAIL_LENGTH} characters` };
  const email = input.trim().toLowerCase();
  if (email === '') return { ok: false, problem: 'email is required' };
  if (email.length > MAX_EMAIL_LENGTH) return { ok: false, problem: `email must be at most ${MAX_EMAIL_LENGTH} characters` };
  if (CONTROL_OR_SPACE.test(email)) return { ok: false, problem: 'email must not contain spaces or control characters' };
  const parts = email.split('@');
  if (parts.length !== 2) return { ok: false, problem: 'email must contain exactly one @' };
  const [local = '', domain = ''] = parts;
  if (local === '') return { ok: false, problem: 'email needs a name before the @' };
  if (local.length > 64) return { ok: false, problem: 'the part of the email before the @ must be at most 64 characters' };
  if (!/^[\x21-\x7e]+$/.test(email)) {
    return { ok: false, problem: 'email must be ASCII (write an international domain in its xn-- form)' };
  }
  if (!LOCAL_PART.test(local))
    return { ok: false, problem: 'the part of the email before the @ has characters or dots that are not allowed' };
  if (domain === '') return { ok: false, problem: 'email needs a domain after the @' };
  const labels = domain.split('.');
  if (labels.length < 2) return { ok: false, problem: 'the email domain must have at least two parts, like example.com' };
  if (!labels.every((label) => DOMAIN_LABEL.test(label)) || !TOP_LEVEL.test(labels[labels.length - 1] ?? '')) {
    return { ok: false, problem: 'the email domain is not a valid domain name' };
  }
  return { ok: true, email };
}

/** checkEmail for a request: the normalised address, or INVALID_ARGUMENT (BAD_USER_INPUT) naming the problem. */
export function parseEmail(input: unknown): string {
  const result = checkEmail(input);
  if (!result.ok) throw ServiceError.invalidArgument(result.problem, 'BAD_USER_INPUT');
  return result.email;
}
