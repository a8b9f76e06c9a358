/**
 * The version (and so the input schema) behind a V2 model path, without a metadata-store round trip
 * per inference. A pinned ready version (seq, UUID) cannot change and is kept; `latest` and tags can
 * move, so they are kept for TTL_MS only.
 */
import type { QuiverApi, ScopeOptions } from '../../api/quiver-api.js'
import { NotReady } from '../../errors.js'
import type { VersionRecord } from '../../registry/version-record.js'

const TTL_MS = 1000
const MAX_ENTRIES = 4096

interface Entry {
  version: VersionRecord
  expires: number
}

export class VersionCache {
  readonly #api: QuiverApi
  readonly #entries = new Map<string, Entry>()

  constructor(api: QuiverApi) {
    this.#api = api
  }

  /** The ready version a reference names; NotReady when it exists but is not ready. */
  async ready(ref: string, scope: ScopeOptions): Promise<VersionRecord> {
    const key = `${scope.workspace ?? ''}\u0000${ref}`
    const now = Date.now()
    const hit = this.#entries.get(key)
    if (hit && hit.expires > now) return hit.version
    const v = await this.#api.getVersion(ref, scope)
    if (v.status !== 'ready') {
      this.#entries.delete(key)
      throw new NotReady(`${v.name}#${v.seq} is not ready (status ${v.status}${v.error_message ? `: ${v.error_message}` : ''})`, { status: v.status })
    }
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!)
    const pinned = /[#:]/.test(ref)
    this.#entries.set(key, { version: v, expires: pinned ? Number.POSITIVE_INFINITY : now + TTL_MS })
    return v
  }

  forget(v: VersionRecord): void {
    for (const [key, entry] of this.#entries) if (entry.version.id === v.id) this.#entries.delete(key)
  }
}
