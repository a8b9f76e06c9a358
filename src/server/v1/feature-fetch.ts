/**
 * REST online features: `/v1/features/{set}/fetch` (GET with keys as query parameters, POST with
 * `{"keys": …, "features": […]}`), `/v1/features/{set}/schema` (the Avro schema of a response),
 * `/v1/features/{set}/materialize` and `/v1/models/{ref}/fetch-inference`. Responses are JSON, or
 * Avro binary when the request's Accept is `avro/binary`.
 */
import type { Context } from 'hono'
import { Hono } from 'hono'
import { InvalidInput } from '../../errors.js'
import type { EntityKey, FetchResult } from '../../api/feature-api.js'
import { encodeFetchAvro, fetchAvroSchema } from '../../features/avro.js'
import { keyFromText } from '../../features/online-fetch.js'
import { mediaType, parseJson, readBody } from '../body.js'
import { requireRole, scopeOf, type AppEnv, type ServerDeps } from '../context.js'

const AVRO = 'avro/binary'
const RESERVED = new Set(['features', 'workspace'])

function featureList(v: unknown): string[] | undefined {
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean)
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[]
  throw new InvalidInput(`features must be a list of feature names, got ${JSON.stringify(v)}`, { field: 'features' })
}

interface FetchBody { keys: EntityKey | EntityKey[]; features?: string[]; set?: string }

function fetchBody(value: unknown): FetchBody {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInput('the body must be an object {"keys": {...} or [{...}], "features"?: [...]}', { field: 'body' })
  const o = value as Record<string, unknown>
  const keys = o.keys
  if (typeof keys !== 'object' || keys === null) throw new InvalidInput('keys must be an object of entity key values, or an array of them', { field: 'keys' })
  if (o.set !== undefined && typeof o.set !== 'string') throw new InvalidInput('set must be a feature set name', { field: 'set' })
  return { keys: keys as FetchBody['keys'], features: featureList(o.features), set: o.set as string | undefined }
}

export function featureFetchRoutes(deps: ServerDeps): Hono<AppEnv> {
  const { api, limits } = deps
  const app = new Hono<AppEnv>()

  const answer = async (c: Context<AppEnv>, set: string, results: FetchResult[], many: boolean, features: string[] | undefined) => {
    if (mediaType(c.req.header('accept')) === AVRO) {
      const record = await api.features.show(set, scopeOf(c))
      const bytes = encodeFetchAvro(record, results, features, many)
      return c.body(new Uint8Array(bytes), 200, { 'content-type': AVRO })
    }
    return c.json(many ? results : results[0])
  }

  app.get('/features/:set/fetch', async (c) => {
    const set = c.req.param('set')
    const scope = scopeOf(c)
    const record = await api.features.show(set, scope)
    const pairs = Object.entries(c.req.query()).filter(([k]) => !RESERVED.has(k)).map(([k, v]) => `${k}=${v}`)
    const features = featureList(c.req.query('features'))
    const result = await api.features.fetch(set, keyFromText(record.keys, pairs), { ...scope, features })
    return answer(c, set, [result], false, features)
  })

  app.post('/features/:set/fetch', async (c) => {
    const set = c.req.param('set')
    const body = fetchBody(parseJson(await readBody(c.req.raw, limits.maxBodyBytes), 'the fetch request'))
    const many = Array.isArray(body.keys)
    const keys = many ? body.keys as EntityKey[] : [body.keys as EntityKey]
    const results = await api.features.fetchMany(set, keys, { ...scopeOf(c), features: body.features })
    return answer(c, set, results, many, body.features)
  })

  app.get('/features/:set/schema', async (c) => {
    const record = await api.features.show(c.req.param('set'), scopeOf(c))
    return c.json(fetchAvroSchema(record, featureList(c.req.query('features'))))
  })

  app.post('/features/:set/materialize', async (c) => {
    requireRole(c, 'editor', 'materialize feature sets')
    const bytes = await readBody(c.req.raw, limits.maxBodyBytes)
    const body = bytes.byteLength ? parseJson(bytes, 'the materialize request') as Record<string, unknown> : {}
    const pick = (k: string) => (body[k] ?? c.req.query(k)) as string | number | undefined
    return c.json(await api.features.materialize(c.req.param('set'), { ...scopeOf(c), start: pick('start'), end: pick('end') }))
  })

  app.post('/models/:ref/fetch-inference', async (c) => {
    const ref = c.req.param('ref')
    c.set('model', ref)
    const body = fetchBody(parseJson(await readBody(c.req.raw, limits.maxBodyBytes), 'the fetch-inference request'))
    const many = Array.isArray(body.keys)
    const keys = many ? body.keys as EntityKey[] : [body.keys as EntityKey]
    const results = await api.features.fetchInference(ref, keys, { ...scopeOf(c, ref), set: body.set })
    if (mediaType(c.req.header('accept')) === AVRO) {
      const set = body.set ?? (await api.features.list(scopeOf(c))).find((s) => Object.keys(results[0]?.features ?? {}).every((f) => s.definition.features.some((x) => x.name === f && x.inference)))?.name
      if (set) return answer(c, set, results, many, Object.keys(results[0]?.features ?? {}))
    }
    return c.json(many ? results : results[0])
  })

  return app
}
