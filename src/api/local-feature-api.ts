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

interface CachedSet {
  record: Promise<FeatureSetRecord>
  expires: number
  settled: boolean
  /** A newer read is under way. */
  refreshing: boolean
}

/** Feature sets in process, over the metadata store and the registry. */
export class LocalFeatureApi implements FeatureApi {
  readonly sets: FeatureSets
  readonly offline: LocalOfflineFeatures
  readonly #deps: LocalFeatureDeps
  #online?: OnlineStore
  readonly #fetcher: OnlineFetcher
  readonly #current = new Map<string, CachedSet>()
  /** Moves when definitions change, so a read begun before does not store what it read. */
  #generation = 0

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

  /** The newest version, kept SET_CACHE_MS; past that the kept one answers while it is read again. */
  #newest(name: string, workspace: string): Promise<FeatureSetRecord> {
    const key = `${workspace}\u0000${name}`
    const hit = this.#current.get(key)
    if (hit && (hit.expires > performance.now() || hit.refreshing)) return hit.record
    if (!hit?.settled) return this.#read(key, name, workspace, true)
    hit.refreshing = true
    this.#read(key, name, workspace, false).catch(() => this.#current.get(key) === hit && this.#current.delete(key))
    return hit.record
  }

  /** Reads a set's newest version into the cache: at once (`now`, so that concurrent calls share it) or once read. */
  #read(key: string, name: string, workspace: string, now: boolean): Promise<FeatureSetRecord> {
    const generation = this.#generation
    const entry: CachedSet = { record: this.sets.show(name, workspace), expires: performance.now() + SET_CACHE_MS, settled: false, refreshing: false }
    if (now) this.#current.set(key, entry)
    entry.record.then(() => {
      entry.settled = true
      if (!now && generation === this.#generation) this.#current.set(key, entry)
    }, () => this.#current.get(key) === entry && this.#current.delete(key))
    return entry.record
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
    this.#generation++
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
