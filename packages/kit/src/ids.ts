import { ServiceError } from './errors';

const ID = /^[1-9][0-9]{0,17}$/;

/** Whether a string is a valid identifier: the decimal form of a positive integer. */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}

/** Validates an identifier from a request, naming the field in the error. */
export function parseId(value: unknown, field: string): string {
  if (isId(value)) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : typeof value;
  throw ServiceError.invalidArgument(`${field} must be a positive integer id, got ${shown}`);
}
