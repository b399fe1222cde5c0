// Argument checks the schema cannot express; each refusal is BAD_USER_INPUT naming the argument.
import type { CreateEventInput } from '../generated/resolvers-types';
import { userError } from '../errors';

const MAX_EMAIL_LENGTH = 254;
const MAX_GIFT_PAGE = 1_000;

export function emailArg(value: string): string {
  const email = value.trim();
  if (email.length === 0 || email.length > MAX_EMAIL_LENGTH)
    throw userError('BAD_USER_INPUT', `email must be 1 to ${MAX_EMAIL_LENGTH} characters`);
  return email;
}

export function codeArg(value: string): string {
  const code = value.trim();
  if (!/^\d{6}$/.test(code)) throw userError('BAD_USER_INPUT', 'code must be the 6 digits from the e-mail');
  return code;
}

export function stockArg(value: number): number {
  if (!Number.isInteger(value) || value < 0)
    throw userError('BAD_USER_INPUT', `stock must be a whole number, 0 or more (got ${String(value)})`);
  return value;
}

export function nameArg(value: string): string {
  if (value.trim().length === 0) throw userError('BAD_USER_INPUT', 'name must not be empty');
  return value;
}

/** `first` has a default, but a client may still send null. */
export function pageSizeArg(value: number | null): number {
  if (value === null || !Number.isInteger(value) || value < 1 || value > MAX_GIFT_PAGE)
    throw userError('BAD_USER_INPUT', `first must be a whole number from 1 to ${MAX_GIFT_PAGE} (got ${String(value)})`);
  return value;
}

export function giftCodeArg(value: string): string {
  const code = value.trim();
  if (code.length === 0) throw userError('BAD_USER_INPUT', 'code must not be empty');
  return code;
}

/** A claim window and its offer cap, checked here for a clear message (the event service checks again). */
export function claimSettingsArg(input: CreateEventInput): { claimWindowSeconds?: number; maxOpenOffers?: number } {
  const window = input.claimWindowSeconds ?? 0;
  if (!Number.isInteger(window) || window < 0 || window > MAX_CLAIM_WINDOW_SECONDS)
    throw userError(
      'BAD_USER_INPUT',
      `claimWindowSeconds must be a whole number from 0 to ${MAX_CLAIM_WINDOW_SECONDS} (got ${window})`,
    );
  if (input.maxOpenOffers == null) return window === 0 ? {} : { claimWindowSeconds: window };
  if (window === 0) throw userError('BAD_USER_INPUT', 'maxOpenOffers needs a claim window: set claimWindowSeconds above 0');
  if (!Number.isInteger(input.maxOpenOffers) || input.maxOpenOffers < 1)
    throw userError('BAD_USER_INPUT', `maxOpenOffers must be a whole number of 1 or more (got ${input.maxOpenOffers})`);
  return { claimWindowSeconds: window, maxOpenOffers: input.maxOpenOffers };
}

/** Longest claim window: a day (the event service's limit too). */
export const MAX_CLAIM_WINDOW_SECONDS = 86_400;
