import type { Table } from 'apache-arrow'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import type { InferInput } from '../data/infer-input.js'
import { isQuiverError } from '../errors.js'
import type { VersionRecord } from '../records/version-record.js'
import { isPinned, parseRef } from '../registry/refs.js'
import { DEFAULT_WORKSPACE, type Registry } from '../registry/registry.js'
import { frameworkFacts, type Runtimes } from '../runtimes/runtime-table.js'
import type { Session } from '../runtimes/runtime.js'
import { ConcurrencyGuard, type ConcurrencyLimits } from './concurrency.js'
import { inferWithSession } from './model-inference.js'
import { loadContextFor, loadModel } from './model-loader.js'
import { RefCache } from './ref-cache.js'
import { SessionCache } from './session-cache.js'

export const DEFAULT_CONCURRENCY: Readonly<ConcurrencyLimits> = Object.freeze({ maxActive: 64, maxQueued: 4096 })

export interface InferencePathDeps {
  registry: Pick<Registry, 'resolveReady'>
  artifacts: ArtifactStore
  runtimes: Runtimes
  concurrency?: Partial<ConcurrencyLimits>
}

/**
 * The one inference path every door takes: resolve a reference (cached), load its session
 * (cached, one load shared by concurrent first requests), validate the input once, run it within
 * the concurrency bound, build the result table.
 */
export class InferencePath {
  readonly sessions = new SessionCache()
  readonly guard: ConcurrencyGuard
  readonly #refs = new RefCache()
  readonly #resolving = new Map<string, Promise<VersionRecord>>()
  readonly #deps: InferencePathDeps

  constructor(deps: InferencePathDeps) {
    this.#deps = deps
    this.guard = new ConcurrencyGuard({ ...DEFAULT_CONCURRENCY, ...deps.concurrency })
  }

  /** The ready version a reference names now; NotFound / NotReady otherwise. */
  async readyVersion(ref: string, workspace = DEFAULT_WORKSPACE): Promise<VersionRecord> {
    const key = `${workspace}\u0000${ref}`
    const hit = this.#refs.lookup(key)
    if (hit?.fresh) return hit.version
    if (!hit) return this.#resolve(key, ref, workspace)
    // Past its ttl: answered from the cache while read again; a failed read drops it, so the next call reports why.
    this.#resolve(key, ref, workspace).catch(() => this.#refs.delete(key))
    return hit.version
  }

  /** One metadata read per reference at a time, however many calls wait for it. */
  #resolve(key: string, ref: string, workspace: string): Promise<VersionRecord> {
    let pending = this.#resolving.get(key)
    if (!pending) {
      const generation = this.#refs.generation
      pending = this.#deps.registry.resolveReady(ref, workspace).then((v) => {
        this.#refs.set(key, v, isPinned(parseRef(ref).selector), generation)
        return v
      }).finally(() => this.#resolving.delete(key))
      this.#resolving.set(key, pending)
    }
    return pending
  }

  session(v: VersionRecord): Promise<Session> {
    return this.sessions.get(v.id, async () => {
      const loaded = await loadModel(v, this.#deps.runtimes, loadContextFor(v, this.#deps.artifacts, () => {}))
      return loaded.session
    })
  }

  async infer(ref: string, input: InferInput, workspace?: string): Promise<Table> {
    return this.inferVersion(await this.readyVersion(ref, workspace), input)
  }

  /** Runs a version already resolved by `readyVersion` (the V2 door decodes against its schema first). */
  async inferVersion(v: VersionRecord, input: InferInput): Promise<Table> {
    try {
      return await this.guard.run(async () => inferWithSession(await this.session(v), frameworkFacts(v.framework).nullsPass, input))
    } catch (err) {
      // A version that failed to load is not served from the cache again.
      if (isQuiverError(err) && (err.code === 'not_found' || err.code === 'not_ready' || err.code === 'unsupported')) this.#refs.forgetVersion(v.id)
      throw err
    }
  }

  /** After a tag move or a new version: moving references of the model resolve afresh. */
  forgetModel(workspace: string, name: string): void {
    this.#refs.forgetModel(workspace, name)
  }

  /** Another process moved a tag or changed versions: every moving reference resolves afresh. */
  forgetMovingRefs(): void {
    this.#refs.forgetMoving()
  }

  close(): Promise<void> {
    return this.sessions.closeAll()
  }
}
