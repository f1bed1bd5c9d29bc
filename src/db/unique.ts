// Unique violations are translated in one place: a write path names the constraint it expects
// and the 409 it answers; any other error passes through unchanged.
import { ConflictError } from '../errors';
import { pgCode, pgConstraint } from './db';

const UNIQUE_VIOLATION = '23505';

/** True when err is a unique violation (of `constraint`, when one is named). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  return pgCode(err) === UNIQUE_VIOLATION && (constraint === undefined || pgConstraint(err) === constraint);
}

/** Throws a ConflictError with `message` for a unique violation (of `constraint`, when named); rethrows anything else. */
export function rethrowUniqueViolation(err: unknown, message: string, options: { constraint?: string; field?: string } = {}): never {
  if (isUniqueViolation(err, options.constraint)) throw new ConflictError(message, options.field === undefined ? {} : { field: options.field });
  throw err;
}
