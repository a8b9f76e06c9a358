/**
 * A door's reply as plain values, so that one handler serves both the Hono routes and the fast
 * lane that takes hot inference requests straight off `node:http`.
 */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export interface Answer {
  status: ContentfulStatusCode
  headers: Record<string, string>
  body: string | Uint8Array
}

export function jsonAnswer(text: string, status: ContentfulStatusCode = 200): Answer {
  return { status, headers: { 'content-type': 'application/json' }, body: text }
}

/** The answer as a Hono response. */
export function respond(c: Context, answer: Answer): Response {
  return c.body(answer.body as string, answer.status, answer.headers)
}
