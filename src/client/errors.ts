/**
 * HTTP error answers back into QuiverErrors, so that code written against the local core classifies
 * remote failures the same way (by `code`, and by class).
 */
import {
  Conflict, ERROR_CODES, InvalidInput, NotFound, NotReady, QuiverError, RuntimeFailure, TooLarge, Unauthorized, Unsupported,
  type ErrorCode,
} from '../errors.js'

const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'invalid_input', 401: 'unauthorized', 403: 'unauthorized', 404: 'not_found', 409: 'conflict', 413: 'too_large',
  415: 'invalid_input', 422: 'invalid_input', 501: 'unsupported', 503: 'not_ready',
}

/** Builds the error class of `code`, keeping details (e.g. field and row of bad input). */
export function quiverError(code: ErrorCode, message: string, details?: Record<string, unknown>): QuiverError {
  switch (code) {
    case 'not_found': return new NotFound(message, details)
    case 'invalid_input': return new InvalidInput(message, details)
    case 'conflict': return new Conflict(message, details)
    case 'unauthorized': return new Unauthorized(message)
    case 'runtime_failure': return new RuntimeFailure(message, details)
    case 'unsupported': return new Unsupported(message, details)
    case 'not_ready': return new NotReady(message, details)
    case 'too_large': return new TooLarge(message, details)
    default: return new QuiverError(code, message, details)
  }
}

/**
 * The error an HTTP answer stands for: `{"error": {"code", "message"}}` (REST) or `{"error": "..."}`
 * (Open Inference Protocol), else the status alone.
 */
export function errorFromResponse(status: number, bodyText: string, what: string): QuiverError {
  let body: unknown
  try {
    body = JSON.parse(bodyText)
  } catch {
    body = undefined
  }
  const err = (body as { error?: unknown } | undefined)?.error
  const byStatus = CODE_BY_STATUS[status] ?? (status >= 500 ? 'runtime_failure' : 'invalid_input')
  if (typeof err === 'object' && err !== null) {
    const { code, message } = err as { code?: unknown; message?: unknown }
    const known = typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code)
    return quiverError(known ? (code as ErrorCode) : byStatus, typeof message === 'string' ? message : `${what} failed with status ${status}`, { status })
  }
  if (typeof err === 'string') return quiverError(byStatus, err, { status })
  const text = bodyText.trim().slice(0, 200)
  return quiverError(byStatus, `${what} failed with HTTP status ${status}${text ? `: ${text}` : ''}`, { status })
}
