/** Feature sets over HTTP: every `FeatureApi` call becomes a request to `/v1/features…`. */
import type {
  AppliedFeatureSet, EnrichRequest, EntityKey, FeatureApi, FeatureSetRecord, FetchResult, LineageDirection, LineageGraph,
  MaterializeResult, MaterializeWindow, OfflineResult, TrainingSetRequest,
} from '../api/feature-api.js'
import type { ScopeOptions } from '../api/quiver-api.js'

export type JsonRequest = <T>(method: string, path: string, what: string, init?: RequestInit) => Promise<T>
export type ScopeQuery = (opts: ScopeOptions, extra?: Record<string, string | undefined>) => string

const JSON_BODY = { 'content-type': 'application/json' }
const enc = encodeURIComponent

export class RemoteFeatureApi implements FeatureApi {
  readonly #json: JsonRequest
  readonly #query: ScopeQuery

  constructor(json: JsonRequest, query: ScopeQuery) {
    this.#json = json
    this.#query = query
  }

  apply(definitions: unknown[], opts: ScopeOptions = {}): Promise<AppliedFeatureSet[]> {
    return this.#json('POST', `/v1/features${this.#query(opts)}`, 'apply feature sets', { headers: JSON_BODY, body: JSON.stringify(definitions) })
  }

  list(opts: ScopeOptions = {}): Promise<FeatureSetRecord[]> {
    return this.#json('GET', `/v1/features${this.#query(opts)}`, 'list feature sets')
  }

  show(name: string, opts: ScopeOptions & { version?: number } = {}): Promise<FeatureSetRecord> {
    const version = opts.version === undefined ? undefined : String(opts.version)
    return this.#json('GET', `/v1/features/${enc(name)}${this.#query(opts, { version })}`, `show feature set ${name}`)
  }

  enrich(req: EnrichRequest, opts: ScopeOptions = {}): Promise<OfflineResult> {
    return this.#json('POST', `/v1/features/enrich${this.#query(opts)}`, 'enrich', { headers: JSON_BODY, body: JSON.stringify(req) })
  }

  trainingSet(req: TrainingSetRequest, opts: ScopeOptions = {}): Promise<OfflineResult> {
    return this.#json('POST', `/v1/features/training-set${this.#query(opts)}`, 'build a training set', { headers: JSON_BODY, body: JSON.stringify(req) })
  }

  lineage(ref: string, opts: ScopeOptions & { direction?: LineageDirection } = {}): Promise<LineageGraph> {
    return this.#json('GET', `/v1/lineage/${enc(ref)}${this.#query(opts, { direction: opts.direction })}`, `lineage of ${ref}`)
  }

  materialize(set: string, opts: ScopeOptions & MaterializeWindow = {}): Promise<MaterializeResult> {
    return this.#json('POST', `/v1/features/${enc(set)}/materialize${this.#query(opts)}`, `materialize feature set ${set}`, {
      headers: JSON_BODY, body: JSON.stringify({ start: opts.start, end: opts.end }),
    })
  }

  fetch(set: string, key: EntityKey, opts: ScopeOptions & { features?: string[] } = {}): Promise<FetchResult> {
    return this.#json('POST', `/v1/features/${enc(set)}/fetch${this.#query(opts)}`, `fetch features of ${set}`, {
      headers: JSON_BODY, body: stringify({ keys: key, features: opts.features }),
    })
  }

  fetchMany(set: string, keys: EntityKey[], opts: ScopeOptions & { features?: string[] } = {}): Promise<FetchResult[]> {
    return this.#json('POST', `/v1/features/${enc(set)}/fetch${this.#query(opts)}`, `fetch features of ${set}`, {
      headers: JSON_BODY, body: stringify({ keys, features: opts.features }),
    })
  }

  fetchInference(ref: string, keys: EntityKey[], opts: ScopeOptions & { set?: string } = {}): Promise<FetchResult[]> {
    return this.#json('POST', `/v1/models/${enc(ref)}/fetch-inference${this.#query(opts)}`, `fetch inference of ${ref}`, {
      headers: JSON_BODY, body: stringify({ keys, set: opts.set }),
    })
  }
}

/** JSON with bigint key values written as digit strings (the server reads them back exactly). */
const stringify = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
