import type { Table } from 'apache-arrow'
import { Unsupported } from '../errors.js'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import { inferWithSession } from '../pipelines/model-inference.js'
import { SessionCache } from '../pipelines/session-cache.js'
import { isFinal } from '../registry/status.js'
import { parseRef, isPinned } from '../registry/refs.js'
import { DEFAULT_WORKSPACE, Registry } from '../registry/registry.js'
import type { ModelSummary, VersionRecord } from '../registry/version-record.js'
import { Runtimes } from '../runtimes/runtime-table.js'
import type { MetadataStore } from '../store/store.js'
import { SqlMetadataStore } from '../store/sql-store.js'
import { SqlFeatureSetStore } from '../store/sql-feature-set-store.js'
import { LocalFeatureApi } from './local-feature-api.js'
import { loadContextFor, loadModel } from './model-loader.js'
import { convertVersion, uploadModel } from './model-upload.js'
import type { InferInput, QuiverApi, ScopeOptions, UploadRequest } from './quiver-api.js'
import { RefCache } from './ref-cache.js'

export interface LocalQuiverDeps {
  store: MetadataStore
  artifacts: ArtifactStore
  runtimes?: Runtimes
  /**
   * Hands `noWait` conversions to another process instead of this one (a CLI command exits
   * right after it answers).
   */
  detachConversion?: (version: VersionRecord, tags: readonly string[]) => void
}

/** The core, in process: wires the registry, artifact store, runtimes and loaded sessions. */
export class LocalQuiverApi implements QuiverApi {
  readonly registry: Registry
  readonly artifacts: ArtifactStore
  readonly runtimes: Runtimes
  readonly sessions = new SessionCache()
  readonly #store: MetadataStore
  #features?: LocalFeatureApi
  readonly #refs = new RefCache()
  readonly #background = new Set<Promise<unknown>>()
  readonly #detachConversion?: (version: VersionRecord, tags: readonly string[]) => void

  constructor(deps: LocalQuiverDeps) {
    this.registry = new Registry(deps.store)
    this.#store = deps.store
    this.artifacts = deps.artifacts
    this.runtimes = deps.runtimes ?? new Runtimes()
    this.#detachConversion = deps.detachConversion
  }

  /** Feature sets over the same database; opened on first use. */
  get features(): LocalFeatureApi {
    if (!this.#features) {
      if (!(this.#store instanceof SqlMetadataStore)) throw new Unsupported('feature sets need the SQL metadata store')
      this.#features = new LocalFeatureApi({ store: new SqlFeatureSetStore(this.#store.driver), registry: this.registry })
    }
    return this.#features
  }

  convertLater(version: VersionRecord, tags: readonly string[], progress: (m: string) => void): void {
    if (this.#detachConversion) return this.#detachConversion(version, tags)
    const work = convertVersion(this, version, tags, progress)
      .then((v) => this.#refs.forgetModel(v.workspace, v.name))
      .catch(() => {})
    this.#background.add(work)
    void work.finally(() => this.#background.delete(work))
  }

  async uploadModel(req: UploadRequest): Promise<VersionRecord> {
    const v = await uploadModel(this, req)
    this.#refs.forgetModel(v.workspace, v.name)
    return v
  }

  /** Converts a version left in `pending_conversion` (e.g. by an upload with `noWait` in another process). */
  async convertPending(
    ref: string,
    opts: ScopeOptions & { tags?: string[]; onProgress?: (m: string) => void } = {},
  ): Promise<VersionRecord> {
    const v = await this.registry.resolve(ref, opts.workspace)
    if (v.status !== 'pending_conversion') return v
    const result = await convertVersion(this, v, opts.tags ?? [], opts.onProgress ?? (() => {}))
    this.#refs.forgetModel(v.workspace, v.name)
    return result
  }

  listModels(opts: ScopeOptions = {}): Promise<ModelSummary[]> {
    return this.registry.listModels(opts.workspace)
  }

  listVersions(name: string, opts: ScopeOptions = {}): Promise<VersionRecord[]> {
    return this.registry.listVersions(name, opts.workspace)
  }

  getVersion(ref: string, opts: ScopeOptions = {}): Promise<VersionRecord> {
    return this.registry.resolve(ref, opts.workspace)
  }

  async waitForVersion(ref: string, opts: ScopeOptions & { timeoutMs?: number } = {}): Promise<VersionRecord> {
    const deadline = Date.now() + (opts.timeoutMs ?? 10 * 60_000)
    for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
      const v = await this.registry.resolve(ref, opts.workspace)
      if (isFinal(v.status)) return v
      if (Date.now() > deadline) return v
      await new Promise((r) => setTimeout(r, delay))
    }
  }

  async tag(ref: string, tag: string, opts: ScopeOptions = {}): Promise<VersionRecord> {
    const v = await this.registry.tag(ref, tag, opts.workspace)
    this.#refs.forgetModel(v.workspace, v.name)
    return v
  }

  async untag(name: string, tag: string, opts: ScopeOptions = {}): Promise<void> {
    await this.registry.untag(name, tag, opts.workspace)
    const parsed = parseRef(name)
    this.#refs.forgetModel(parsed.workspace ?? opts.workspace ?? DEFAULT_WORKSPACE, parsed.name)
  }

  async infer(ref: string, input: InferInput, opts: ScopeOptions = {}): Promise<Table> {
    const v = await this.#resolveReady(ref, opts.workspace)
    const session = await this.sessions.get(v.id, async () => {
      const loaded = await loadModel(v, this.runtimes, loadContextFor(v, this.artifacts, () => {}))
      return loaded.session
    })
    return inferWithSession(session, v.runtime, input)
  }

  async #resolveReady(ref: string, workspace = DEFAULT_WORKSPACE): Promise<VersionRecord> {
    const key = `${workspace}\u0000${ref}`
    const cached = this.#refs.get(key)
    if (cached) return cached
    const v = await this.registry.resolveReady(ref, workspace)
    this.#refs.set(key, v, isPinned(parseRef(ref).selector))
    return v
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#background])
    await this.sessions.closeAll()
    await this.runtimes.dispose()
    await this.registry.store.close()
  }
}

