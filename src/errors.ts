// Typed domain errors. The API maps each kind to one problem+json status in api/problem.ts.

export interface FieldIssue {
  field: string;
  message: string;
}

export type ErrorKind =
  | 'bad_request'
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'quota_exceeded'
  | 'rate_limited'
  | 'target_failed'
  | 'unavailable';

export class CadenzaError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly issues: FieldIssue[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends CadenzaError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super('bad_request', message, issues);
  }
}

export class ValidationError extends CadenzaError {
  constructor(issues: FieldIssue[], message?: string) {
    super('validation', message ?? issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
  }
  static field(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

export class UnauthorizedError extends CadenzaError {
  constructor(message = 'A valid API key is required (Authorization: Bearer <key>)') {
    super('unauthorized', message);
  }
}

export class ForbiddenError extends CadenzaError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

export class NotFoundError extends CadenzaError {
  constructor(what: string, id?: string) {
    super('not_found', id === undefined ? `${what} not found` : `${what} '${id}' not found`);
  }
}

export class ConflictError extends CadenzaError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super('conflict', message, [], extra);
  }
}

/** Optimistic concurrency: someone else appended to the aggregate first. */
export class ConcurrencyError extends ConflictError {
  constructor(aggregate: string, expectedSequence: number | null) {
    super(
      expectedSequence === null
        ? `${aggregate} was changed concurrently; reload and try again`
        : `${aggregate} was changed concurrently (expected sequence ${expectedSequence}); reload and try again`,
      { aggregate, expectedSequence },
    );
  }
}

export class PayloadTooLargeError extends CadenzaError {
  constructor(field: string, limitBytes: number, actualBytes?: number) {
    super(
      'payload_too_large',
      `${field} is ${actualBytes === undefined ? 'too large' : `${actualBytes} bytes`}; the limit is ${limitBytes} bytes`,
      [{ field, message: `must be at most ${limitBytes} bytes` }],
      { limitBytes },
    );
  }
}

/** Any JSON value with a size limit: over it answers 413 naming the field (the one check of JSON sizes). */
export function checkJsonSize(value: unknown, field: string, limitBytes: number): void {
  const size = Buffer.byteLength(JSON.stringify(value ?? null));
  if (size > limitBytes) throw new PayloadTooLargeError(field, limitBytes, size);
}

export class QuotaExceededError extends CadenzaError {
  constructor(message: string) {
    super('quota_exceeded', message);
  }
}

export class UnavailableError extends CadenzaError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

/** A target with interruptOnError failed a synchronous execution; its answer is forwarded. */
export class TargetFailedError extends CadenzaError {
  constructor(message: string, extra: Record<string, unknown>) {
    super('target_failed', message, [], extra);
  }
}
