/**
 * Typed errors. Identity is checked by `code`, never by `instanceof` alone, so errors rebuilt from
 * an HTTP body or crossing a module boundary still classify. Each door maps codes to its own
 * statuses in exactly one place (cli/exit-codes.ts, server/errors.ts).
 */
export const ERROR_CODES = [
  'not_found',
  'invalid_input',
  'conflict',
  'unauthorized',
  'runtime_failure',
  'unsupported',
  'not_ready',
  'too_large',
  'internal',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export interface InvalidInputDetails {
  field?: string
  row?: number
  expected?: string
  got?: string
  [key: string]: unknown
}

export class QuiverError extends Error {
  readonly code: ErrorCode
  readonly details?: Record<string, unknown>
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.details = details
    this.name = new.target === QuiverError ? 'QuiverError' : CLASS_NAMES[code]
  }
}

/** Each subclass's name, written out: the bundle does not keep class names (keeping them costs every closure a call). */
const CLASS_NAMES: Record<ErrorCode, string> = {
  not_found: 'NotFound',
  invalid_input: 'InvalidInput',
  conflict: 'Conflict',
  unauthorized: 'Unauthorized',
  runtime_failure: 'RuntimeFailure',
  unsupported: 'Unsupported',
  not_ready: 'NotReady',
  too_large: 'TooLarge',
  internal: 'QuiverError',
}

/** A model, version, tag, workspace or other named thing does not exist. */
export class NotFound extends QuiverError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('not_found', message, details)
  }
}

/** The caller sent something wrong: a bad name, schema, file or input row. */
export class InvalidInput extends QuiverError {
  constructor(message: string, details?: InvalidInputDetails, options?: { cause?: unknown }) {
    super('invalid_input', message, details, options)
  }
}

/** The request collides with existing state (a duplicate, a busy home directory). */
export class Conflict extends QuiverError {
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super('conflict', message, details, options)
  }
}

export class Unauthorized extends QuiverError {
  constructor(message: string) {
    super('unauthorized', message)
  }
}

/** A model failed while loading or running: a corrupt file, a runtime exception, a dead worker. */
export class RuntimeFailure extends QuiverError {
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super('runtime_failure', message, details, options)
  }
}

/** Quiver cannot do this on this installation (a framework without its runtime, a missing module). */
export class Unsupported extends QuiverError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('unsupported', message, details)
  }
}

/** The version exists but is not `ready` (still converting, or in `error`). */
export class NotReady extends QuiverError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('not_ready', message, details)
  }
}

export class TooLarge extends QuiverError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('too_large', message, details)
  }
}

export function isQuiverError(err: unknown): err is QuiverError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (ERROR_CODES as readonly string[]).includes((err as { code: string }).code) &&
    err instanceof Error
  )
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
