import { NotFound } from '../errors.js'
import type { DerivedModels } from '../features/derived.js'
import { FeatureSets } from '../features/feature-sets.js'
import { fetchInference } from '../features/fetch-inference.js'
import { materialize, parseTime } from '../features/materialize.js'
import { OnlineFetcher, fetchResults, type EntityKey, type FetchResult } from '../features/online-fetch.js'
import { openOnlineStore } from '../features/online/open-online-store.js'
import type { OnlineStore } from '../features/online/online-store.js'
import { parseRef } from '../registry/refs.js'
import { DEFAULT_WORKSPACE, type Registry } from '../registry/registry.js'
import type { FeatureSetStore } from '../store/feature-set-store.js'
import type { AppliedFeatureSet, FeatureApi, FeatureSetRecord, MaterializeResult, MaterializeWindow } from './feature-api.js'
import type { ScopeOptions } from './quiver-api.js'
import type { LineageDirection, LineageGraph } from '../features/lineage-graph.js'
import type { EnrichRequest, OfflineResult } from '../features/offline/enrich.js'
import type { TrainingSetRequest } from '../features/offline/training-set.js'
import { LocalOfflineFeatures } from './local-offline-features.js'

export interface LocalFeatureDeps {
  store: FeatureSetStore
  registry: Registry
  /** The inference path derived features run through (online fetch, enrich, training sets). */
  inference: DerivedModels
  /** Where the embedded online store keeps its files (used when no Redis URL is set). */
  onlineDir?: string
  /** An online store to use instead of opening one. */
  online?: OnlineStore
}

/** How long a fetch reuses a set's definition before reading it again (another process may apply). */
const SET_CACHE_MS = 1000

/** Feature sets in process, over the metadata store and the registry. */
export class LocalFeatureApi implements FeatureApi {
  readonly sets: FeatureSets
  readonly offline: LocalOfflineFeatures
  readonly #deps: LocalFeatureDeps
  #online?: OnlineStore
  readonly #fetcher: OnlineFetcher
  readonly #current = new Map<string, { record: Promise<FeatureSetRecord>; expires: number }>()

  constructor(deps: LocalFeatureDeps) {
    this.#deps = deps
    this.#online = deps.online
    this.sets = new FeatureSets({ store: deps.store, resolveModel: (ref, ws) => resolveInWorkspace(deps.registry, ref, ws) })
    this.offline = new LocalOfflineFeatures({ store: deps.store, sets: this.sets, inference: deps.inference })
    this.#fetcher = new OnlineFetcher({ store: this.online, set: (name, ws) => this.#newest(name, ws), models: deps.inference })
  }

  /** The online store: Redis when QUIVER_REDIS_URL is set, else the embedded one. */
  get online(): OnlineStore {
    this.#online ??= openOnlineStore({ dir: this.#deps.onlineDir })
    return this.#online
  }

  #newest(name: string, workspace: string): Promise<FeatureSetRecord> {
    const key = `${workspace}\u0000${name}`
    const hit = this.#current.get(key)
    if (hit && hit.expires > performance.now()) return hit.record
    const record = this.sets.show(name, workspace)
    this.#current.set(key, { record, expires: performance.now() + SET_CACHE_MS })
    record.catch(() => this.#current.delete(key))
    return record
  }

  enrich(req: EnrichRequest, opts: ScopeOptions = {}): Promise<OfflineResult> {
    return this.offline.enrich(req, opts)
  }

  trainingSet(req: TrainingSetRequest, opts: ScopeOptions = {}): Promise<OfflineResult> {
    return this.offline.trainingSet(req, opts)
  }

  lineage(ref: string, opts: ScopeOptions & { direction?: LineageDirection } = {}): Promise<LineageGraph> {
    return this.offline.lineage(ref, opts)
  }

  async apply(definitions: unknown[], opts: ScopeOptions = {}): Promise<AppliedFeatureSet[]> {
    const applied = await this.sets.apply(definitions, opts.workspace ?? DEFAULT_WORKSPACE)
    this.#current.clear()
    return applied
  }

  list(opts: ScopeOptions = {}): Promise<FeatureSetRecord[]> {
    return this.sets.list(opts.workspace ?? DEFAULT_WORKSPACE)
  }

  show(name: string, opts: ScopeOptions & { version?: number } = {}): Promise<FeatureSetRecord> {
    return this.sets.show(name, opts.workspace ?? DEFAULT_WORKSPACE, opts.version)
  }

  async materialize(set: string, opts: ScopeOptions & MaterializeWindow = {}): Promise<MaterializeResult> {
    const record = await this.sets.show(set, opts.workspace ?? DEFAULT_WORKSPACE)
    const time = (v: string | number | undefined, option: string) => (v === undefined ? undefined : parseTime(String(v), option))
    return materialize(record, this.online, { start: time(opts.start, 'start'), end: time(opts.end, 'end') })
  }

  async fetch(set: string, key: EntityKey, opts: ScopeOptions & { features?: string[] } = {}): Promise<FetchResult> {
    return (await this.fetchMany(set, [key], opts))[0]!
  }

  async fetchMany(set: string, keys: EntityKey[], opts: ScopeOptions & { features?: string[] } = {}): Promise<FetchResult[]> {
    return fetchResults(await this.fetchTable(set, keys, opts))
  }

  /** The fetched entities as an Arrow table (key columns, then the features), for the doors that encode it themselves. */
  fetchTable(set: string, keys: EntityKey[], opts: ScopeOptions & { features?: string[] } = {}) {
    return this.#fetcher.fetchTable(set, keys, { workspace: opts.workspace ?? DEFAULT_WORKSPACE, features: opts.features })
  }

  fetchInference(ref: string, keys: EntityKey[], opts: ScopeOptions & { set?: string } = {}): Promise<FetchResult[]> {
    const workspace = opts.workspace ?? DEFAULT_WORKSPACE
    return fetchInference({
      fetcher: this.#fetcher, models: this.#deps.inference,
      sets: async (ws, name) => (name ? [await this.sets.show(name, ws)] : this.sets.list(ws)),
    }, ref, keys, { workspace, set: opts.set })
  }

  async close(): Promise<void> {
    await this.#online?.close()
  }
}

/**
 * A feature set names models of its own workspace only: a `ws/` prefix naming another one answers
 * as the registry does for a model that is not there, so definitions cannot probe other workspaces.
 */
async function resolveInWorkspace(registry: Registry, ref: string, workspace: string) {
  const parsed = parseRef(ref)
  if (parsed.workspace !== null && parsed.workspace !== workspace) {
    throw new NotFound(`model '${parsed.name}' does not exist in workspace '${parsed.workspace}'`, { ref })
  }
  return registry.resolve(ref, workspace)
}
