/**
 * Online fetch as plain values (see answer.ts): `/v1/features/{set}/fetch` (GET with keys as query
 * parameters, POST with `{"keys": …, "features": […]}`) and `/v1/models/{ref}/fetch-inference`,
 * answered as JSON, or Avro binary when Accept is `avro/binary`. The Hono routes and the fast lane
 * both call these, so both answer alike.
 */
import type { QuiverApi, ScopeOptions } from '../../api/quiver-api.js'
import type { EntityKey, FetchResult } from '../../api/feature-api.js'
import { InvalidInput } from '../../errors.js'
import { encodeFetchAvro } from '../../features/avro.js'
import { inferenceUse } from '../../features/fetch-inference.js'
import { keyFromText } from '../../features/online-fetch.js'
import { DEFAULT_WORKSPACE } from '../../registry/registry.js'
import { jsonAnswer, type Answer } from '../answer.js'
import { mediaType, parseJson } from '../body.js'

export const AVRO = 'avro/binary'
const RESERVED = new Set(['features', 'workspace'])

/** `features` as a comma-separated text or a list of names; undefined when absent. */
export function featureList(v: unknown): string[] | undefined {
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean)
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[]
  throw new InvalidInput(`features must be a list of feature names, got ${JSON.stringify(v)}`, { field: 'features' })
}

interface FetchBody { keys: EntityKey[]; many: boolean; features?: string[]; set?: string }

function fetchBody(bytes: Uint8Array, what: string): FetchBody {
  const value = parseJson(bytes, what)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInput('the body must be an object {"keys": {...} or [{...}], "features"?: [...]}', { field: 'body' })
  const o = value as Record<string, unknown>
  const keys = o.keys
  if (typeof keys !== 'object' || keys === null) throw new InvalidInput('keys must be an object of entity key values, or an array of them', { field: 'keys' })
  if (o.set !== undefined && typeof o.set !== 'string') throw new InvalidInput('set must be a feature set name', { field: 'set' })
  const many = Array.isArray(keys)
  return { keys: many ? keys as EntityKey[] : [keys as EntityKey], many, features: featureList(o.features), set: o.set as string | undefined }
}

async function resultsAnswer(api: QuiverApi, set: string | undefined, scope: ScopeOptions, results: FetchResult[], many: boolean, features: string[] | undefined, accept: string | undefined): Promise<Answer> {
  if (set !== undefined && mediaType(accept) === AVRO) {
    const record = await api.features.show(set, scope)
    return { status: 200, headers: { 'content-type': AVRO }, body: encodeFetchAvro(record, results, features, many) }
  }
  return jsonAnswer(JSON.stringify(many ? results : results[0]))
}

export interface FeatureFetchRequest {
  /** GET: keys and `features` from the query; POST: from the JSON body. */
  method: 'GET' | 'POST'
  query: Iterable<[string, string]>
  accept: string | undefined
  body: Uint8Array
}

export async function featureFetchAnswer(api: QuiverApi, set: string, scope: ScopeOptions, req: FeatureFetchRequest): Promise<Answer> {
  if (req.method === 'GET') {
    const params = [...req.query]
    const record = await api.features.show(set, scope)
    const pairs = params.filter(([k]) => !RESERVED.has(k)).map(([k, v]) => `${k}=${v}`)
    const features = featureList(params.find(([k]) => k === 'features')?.[1])
    const result = await api.features.fetch(set, keyFromText(record.keys, pairs), { ...scope, features })
    return resultsAnswer(api, set, scope, [result], false, features, req.accept)
  }
  const body = fetchBody(req.body, 'the fetch request')
  const results = await api.features.fetchMany(set, body.keys, { ...scope, features: body.features })
  return resultsAnswer(api, set, scope, results, body.many, body.features, req.accept)
}

export async function fetchInferenceAnswer(api: QuiverApi, ref: string, scope: ScopeOptions, req: { accept: string | undefined; body: Uint8Array }): Promise<Answer> {
  const body = fetchBody(req.body, 'the fetch-inference request')
  const results = await api.features.fetchInference(ref, body.keys, { ...scope, set: body.set })
  if (mediaType(req.accept) !== AVRO) return jsonAnswer(JSON.stringify(body.many ? results : results[0]))
  // The schema of the set and features fetch-inference chose, from their declared types.
  const sets = body.set ? [await api.features.show(body.set, scope)] : await api.features.list(scope)
  const { record, features } = inferenceUse(sets, ref, { workspace: scope.workspace ?? DEFAULT_WORKSPACE, set: body.set })
  return { status: 200, headers: { 'content-type': AVRO }, body: encodeFetchAvro(record, results, features.map((f) => f.name), body.many) }
}
