/**
 * One request to a remote endpoint, made hard to break: each attempt has a timeout; a 5xx answer,
 * a refused or reset connection and a timeout are retried with doubling backoff until the retry
 * budget is spent; every failed attempt counts towards the endpoint's circuit breaker, and while
 * the breaker is open no request leaves at all. A 4xx answer is the peer refusing the request: it
 * is reported at once, with the peer's own message.
 */
import { errorMessage, RuntimeFailure } from '../../errors.js'
import type { CircuitBreaker } from './circuit-breaker.js'
import type { EndpointSpec } from './endpoint.js'

export interface RemoteRequest {
  /** Appended to the endpoint URL (`/infer`), or an absolute URL. */
  path?: string
  method?: 'GET' | 'POST'
  body?: unknown
  signal?: AbortSignal
}

/** What a platform uses to talk to its endpoint: JSON in, parsed JSON out. */
export type RemoteCall = (req: RemoteRequest) => Promise<unknown>

const MAX_ERROR_TEXT = 300

export function remoteCall(spec: EndpointSpec, breaker: CircuitBreaker, label: string): RemoteCall {
  return async (req) => {
    const url = req.path === undefined ? spec.url : /^https?:/.test(req.path) ? req.path : spec.url + req.path
    const auth = authorization(spec, label)
    const attempts = spec.retries + 1
    let last = ''
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(spec.backoff_ms * 2 ** (attempt - 1) * (0.5 + Math.random() / 2), req.signal)
      if (!breaker.tryAcquire()) throw breakerOpen(spec, breaker, label, last || breaker.lastFailure)
      const outcome = await attemptOnce(url, spec, req, auth)
      if (outcome.kind === 'ok') {
        breaker.success()
        return outcome.value
      }
      if (outcome.kind === 'refused') {
        breaker.success()
        throw new RuntimeFailure(`${label}: ${url} refused the request (${outcome.message})`, { url })
      }
      breaker.failure(outcome.message)
      last = outcome.message
      if (req.signal?.aborted) break
    }
    throw new RuntimeFailure(
      `${label}: ${url} did not answer after ${attempts} attempt${attempts === 1 ? '' : 's'} (retry budget spent): ${last}`,
      { url, attempts, breaker: breaker.state },
    )
  }
}

type Outcome = { kind: 'ok'; value: unknown } | { kind: 'refused'; message: string } | { kind: 'failed'; message: string }

/** `Authorization: Bearer` from the endpoint's token variable, read at each call; refused at once when unset. */
function authorization(spec: EndpointSpec, label: string): Record<string, string> {
  if (!spec.token_env) return {}
  const token = process.env[spec.token_env]
  if (!token) throw new RuntimeFailure(`${label}: ${spec.url} takes its token from the environment variable ${spec.token_env}, which is not set in the process calling it`, { url: spec.url, token_env: spec.token_env })
  return { authorization: `Bearer ${token}` }
}

async function attemptOnce(url: string, spec: EndpointSpec, req: RemoteRequest, auth: Record<string, string>): Promise<Outcome> {
  const timeout = AbortSignal.timeout(spec.timeout_ms)
  const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout
  let res: Response
  try {
    res = await fetch(url, {
      method: req.method ?? (req.body === undefined ? 'GET' : 'POST'),
      headers: { accept: 'application/json', ...(req.body === undefined ? {} : { 'content-type': 'application/json' }), ...spec.headers, ...auth },
      body: req.body === undefined ? undefined : JSON.stringify(req.body, jsonBigInt),
      signal,
    })
  } catch (err) {
    if (timeout.aborted) return { kind: 'failed', message: `no answer within ${spec.timeout_ms} ms` }
    return { kind: 'failed', message: connectionError(err) }
  }
  let text: string
  try {
    text = await res.text()
  } catch (err) {
    return { kind: 'failed', message: timeout.aborted ? `no answer within ${spec.timeout_ms} ms` : `the answer broke off: ${connectionError(err)}` }
  }
  if (res.status >= 500) return { kind: 'failed', message: `HTTP ${res.status}${peerMessage(text)}` }
  if (res.status >= 400) return { kind: 'refused', message: `HTTP ${res.status}${peerMessage(text)}` }
  try {
    return { kind: 'ok', value: JSON.parse(text) }
  } catch {
    return { kind: 'refused', message: `its answer is not JSON: ${JSON.stringify(text.slice(0, 80))}` }
  }
}

function breakerOpen(spec: EndpointSpec, breaker: CircuitBreaker, label: string, last: string): RuntimeFailure {
  const wait = Math.ceil(breaker.retryInMs / 100) / 10
  return new RuntimeFailure(
    `${label}: ${spec.url} is unavailable: its circuit breaker is open after ${breaker.failures} consecutive failures` +
      `${last ? ` (last: ${last})` : ''}; a trial call goes through in ${wait} s`,
    { url: spec.url, breaker: 'open' },
  )
}

function connectionError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`
  return errorMessage(err)
}

/** The peer's own error message (`{"error": "..."}` of V2 or `{"error": {"message": ...}}` of Quiver), shortened. */
function peerMessage(text: string): string {
  let msg = text
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown }
    const e = body.error
    msg = typeof e === 'string' ? e : typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string'
      ? (e as { message: string }).message : typeof body.message === 'string' ? body.message : text
  } catch {
    // not JSON: the text as it came
  }
  msg = msg.trim()
  return msg ? `: ${msg.length > MAX_ERROR_TEXT ? `${msg.slice(0, MAX_ERROR_TEXT)}…` : msg}` : ''
}

function jsonBigInt(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    }, { once: true })
  })
}
