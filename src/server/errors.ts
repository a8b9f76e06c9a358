/**
 * The one place where errors become HTTP responses. `/v1` answers `{"error": {"code", "message"}}`,
 * `/v2` answers the Open Inference Protocol's `{"error": "..."}`; both share one status table.
 */
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { errorMessage, isQuiverError, type ErrorCode } from '../errors.js'
import { jsonAnswer, type Answer } from './answer.js'
import type { Logger } from './logger.js'

/**
 * `unsupported` is 501: the request is well formed but this installation cannot do it (a framework
 * without its runtime, a result column with no tensor form). `not_ready` is 503 so that load
 * balancers and V2 clients treat it as "retry later", as KServe and Triton do for unready models.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, ContentfulStatusCode>> = Object.freeze({
  not_found: 404,
  invalid_input: 400,
  conflict: 409,
  unauthorized: 401,
  too_large: 413,
  not_ready: 503,
  unsupported: 501,
  runtime_failure: 500,
  internal: 500,
})

/** The code an HTTP status stands for, for errors that did not start as a QuiverError. */
const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = Object.freeze({
  400: 'invalid_input', 401: 'unauthorized', 404: 'not_found', 405: 'invalid_input', 409: 'conflict',
  413: 'too_large', 415: 'invalid_input', 501: 'unsupported', 503: 'not_ready',
})

/** V8's words for an allocation or a recursion sized by something too large. */
const SIZE_ERRORS = /^(Invalid (typed )?array length|Array buffer allocation failed|Invalid string length|Maximum call stack size exceeded)/

export type Door = 'v1' | 'v2'

export interface ErrorReply {
  status: ContentfulStatusCode
  code: ErrorCode
  message: string
}

/**
 * Classifies any thrown value. Unknown errors become 500 with a generic message and are logged once
 * here, with their stack, so the handler that threw does not need to.
 */
export function classifyError(err: unknown, logger?: Logger): ErrorReply {
  if (isQuiverError(err)) {
    // An authenticated caller whose role is too low: same code, but 403 rather than "log in again".
    const status = err.code === 'unauthorized' && err.details?.reason === 'forbidden' ? 403 : HTTP_STATUS[err.code]
    return { status, code: err.code, message: err.message }
  }
  if (err instanceof HTTPException) {
    const code = CODE_BY_STATUS[err.status] ?? 'internal'
    return { status: err.status, code, message: err.message || `request failed with status ${err.status}` }
  }
  if (err instanceof RangeError && SIZE_ERRORS.test(err.message)) {
    // Every claim is checked before allocation; one that still got through is the input's size,
    // not a server fault. Logged with its stack all the same, so the missing check gets found.
    logger?.warn('input too large to process', { error: err.message, stack: err.stack })
    return {
      status: 400, code: 'invalid_input',
      message: `the request asks for more than this server can hold (${err.message}); send a smaller input`,
    }
  }
  logger?.error('unhandled error', { error: errorMessage(err), stack: err instanceof Error ? err.stack : undefined })
  return { status: 500, code: 'internal', message: 'internal server error' }
}

/** The response body of an error on one door. */
export function errorBody(door: Door, reply: Pick<ErrorReply, 'code' | 'message'>): unknown {
  return door === 'v2' ? { error: reply.message } : { error: { code: reply.code, message: reply.message } }
}

/** The error reply of one door as plain values, with `WWW-Authenticate` on 401. */
export function errorAnswer(door: Door, err: unknown, logger?: Logger): Answer {
  const reply = classifyError(err, logger)
  const answer = jsonAnswer(JSON.stringify(errorBody(door, reply)), reply.status)
  if (reply.status === 401) answer.headers['www-authenticate'] = 'Bearer realm="quiver"'
  return answer
}

/** The whole response for an error on one door, with `WWW-Authenticate` on 401. */
export function errorResponse(door: Door, err: unknown, logger?: Logger): Response {
  const answer = errorAnswer(door, err, logger)
  return new Response(answer.body as string, { status: answer.status, headers: answer.headers })
}

/** Which door a path belongs to. */
export function doorOf(path: string): Door {
  return path === '/v2' || path.startsWith('/v2/') ? 'v2' : 'v1'
}
