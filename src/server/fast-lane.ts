/**
 * Inference requests taken straight off `node:http`, before the Hono app: `POST` to
 * `/v1/models/{ref}/infer`, `/v1/models/{name}/versions/{v}/infer`, `/v2/models/{name}/infer` and
 * `/v2/models/{name}/versions/{v}/infer`, and online feature fetches (GET or POST
 * `/v1/features/{set}/fetch`, POST `/v1/models/{ref}/fetch-inference`). The web-standard Request and Response objects the app
 * needs cost more than a one-row inference does; here the same handlers (`v1InferAnswer`,
 * `v2InferAnswer`) answer from the raw body, with the same errors, compression, metrics and logs.
 * Anything else, and any request the lane is not sure of (a Content-Encoding, no Content-Length, a
 * body past the limit, auth on), goes to the app unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Answer } from './answer.js'
import { compressBody, isCompressible } from './compress-responses.js'
import { versionRef, WORKSPACE_HEADER, type ServerDeps } from './context.js'
import { errorAnswer, type Door } from './errors.js'
import type { AnsweredRequest } from './request-record.js'
import { featureFetchAnswer, fetchInferenceAnswer } from './v1/feature-fetch-answer.js'
import { v1InferAnswer } from './v1/infer-answer.js'
import { HEADER_LENGTH } from './v2/binary.js'
import { v2InferAnswer, v2Target } from './v2/infer-answer.js'

/** Takes the request and answers it (true), or leaves it untouched for the app (false). */
export type FastLane = (req: IncomingMessage, res: ServerResponse) => boolean

interface Route {
  door: Door
  pattern: string
  name: string
  version: string | undefined
  /** Online features (feature-fetch-answer.ts): `name` is the set (fetch) or the model reference. */
  features?: 'fetch' | 'fetch-inference'
}

const INFER_PATH = /^\/(v1|v2)\/models\/([^/]+)(?:\/versions\/([^/]+))?\/infer\/?$/
const FEATURE_PATH = /^\/v1\/(?:features\/([^/]+)\/fetch|models\/([^/]+)\/fetch-inference)\/?$/

function matchRoute(path: string): Route | undefined {
  const m = INFER_PATH.exec(path)
  if (!m) return matchFeatureRoute(path)
  try {
    const door = m[1] as Door
    const name = decodeURIComponent(m[2]!)
    const version = m[3] === undefined ? undefined : decodeURIComponent(m[3])
    const pattern = version === undefined
      ? `/${door}/models/${door === 'v1' ? ':ref' : ':name'}/infer`
      : `/${door}/models/:name/versions/:version/infer`
    return { door, pattern, name, version }
  } catch {
    return undefined
  }
}

function matchFeatureRoute(path: string): Route | undefined {
  const m = FEATURE_PATH.exec(path)
  if (!m) return undefined
  try {
    return m[1] !== undefined
      ? { door: 'v1', pattern: '/v1/features/:set/fetch', name: decodeURIComponent(m[1]), version: undefined, features: 'fetch' }
      : { door: 'v1', pattern: '/v1/models/:ref/fetch-inference', name: decodeURIComponent(m[2]!), version: undefined, features: 'fetch-inference' }
  } catch {
    return undefined
  }
}

export function inferenceFastLane(deps: ServerDeps, record: (r: AnsweredRequest) => Promise<void>): FastLane {
  const { api, logger, limits } = deps

  const answer = async (route: Route, req: IncomingMessage, query: URLSearchParams | undefined, workspace: string | undefined, body: Uint8Array): Promise<Answer> => {
    const scope = { workspace }
    if (route.features === 'fetch') {
      return featureFetchAnswer(api, route.name, scope, { method: req.method as 'GET' | 'POST', query: query ?? [], accept: header(req, 'accept'), body })
    }
    if (route.features === 'fetch-inference') return fetchInferenceAnswer(api, route.name, scope, { accept: header(req, 'accept'), body })
    const ref = route.version === undefined ? route.name : versionRef(route.name, route.version)
    if (route.door === 'v1') {
      return v1InferAnswer(api, ref, scope, { contentType: header(req, 'content-type'), accept: header(req, 'accept'), format: query?.get('format') ?? undefined, body })
    }
    const target = await v2Target(api, route.name, route.version, scope, () => api.readyVersion(ref, scope))
    return v2InferAnswer(api, { name: route.name, target, scope, body, headerLength: header(req, HEADER_LENGTH) })
  }

  const finish = async (route: Route, req: IncomingMessage, res: ServerResponse, query: URLSearchParams | undefined, body: Uint8Array, start: number) => {
    const workspace = query?.get('workspace') || header(req, WORKSPACE_HEADER) || undefined
    let out: Answer
    try {
      out = await answer(route, req, query, workspace, body)
    } catch (err) {
      out = errorAnswer(route.door, err, logger)
    }
    const accepted = header(req, 'accept-encoding')
    const headers: Record<string, string | number> = { ...out.headers }
    let payload = out.body
    if (accepted && isCompressible(out.headers['content-type'])) {
      const compressed = await compressBody(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload, accepted)
      payload = compressed.body
      Object.assign(headers, compressed.headers)
    }
    // A string body goes out as it is: node writes it with the head in one piece.
    headers['content-length'] = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength
    res.writeHead(out.status, headers)
    res.end(payload)
    const model = route.features === 'fetch' ? undefined : route.door === 'v2' || route.version === undefined ? route.name : versionRef(route.name, route.version)
    await record({ method: req.method!, route: route.pattern, status: out.status, seconds: (performance.now() - start) / 1000, requestedWorkspace: workspace, model })
  }

  return (req, res) => {
    const get = req.method === 'GET'
    if (req.method !== 'POST' && !get) return false
    const url = req.url ?? ''
    const q = url.indexOf('?')
    const route = matchRoute(q < 0 ? url : url.slice(0, q))
    if (!route || (get && route.features !== 'fetch')) return false
    const encoding = req.headers['content-encoding']
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return false
    const declared = Number(req.headers['content-length'] ?? (get && req.headers['transfer-encoding'] === undefined ? 0 : Number.NaN))
    if (!Number.isSafeInteger(declared) || declared > limits.maxBodyBytes) return false
    const start = performance.now()
    const query = q < 0 ? undefined : new URLSearchParams(url.slice(q + 1))
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
      finish(route, req, res, query, body, start).catch((err: unknown) => {
        logger.error('fast lane failed to answer', { error: String(err) })
        res.destroy()
      })
    })
    return true
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}
