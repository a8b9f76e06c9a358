import type { VersionRecord } from '../records/version-record.js'

const MAX_ENTRIES = 4096

/**
 * Resolved references, so the inference hot path does not query the metadata store per call.
 * Pinned references (`:uuid`, `#seq`) of ready versions never change; moving ones (`@tag`,
 * latest) are kept for `ttlMs` (other processes may move them) and dropped at once when this
 * process moves a tag or adds a version of the model, or the change feed says another one did.
 */
export class RefCache {
  #entries = new Map<string, { version: VersionRecord; expires: number }>()
  readonly #ttlMs: number

  constructor(ttlMs = 1000) {
    this.#ttlMs = ttlMs
  }

  get(key: string): VersionRecord | undefined {
    const e = this.#entries.get(key)
    if (!e) return undefined
    if (e.expires < performance.now()) {
      this.#entries.delete(key)
      return undefined
    }
    return e.version
  }

  set(key: string, version: VersionRecord, pinned: boolean): void {
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(key, { version, expires: pinned ? Infinity : performance.now() + this.#ttlMs })
  }

  /** Drops every entry of one model (after a tag move or a new version). */
  forgetModel(workspace: string, name: string): void {
    for (const [key, e] of this.#entries) {
      if (e.version.workspace === workspace && e.version.name === name) this.#entries.delete(key)
    }
  }

  /** Drops every moving reference (another process changed tags or versions). */
  forgetMoving(): void {
    for (const [key, e] of this.#entries) if (e.expires !== Infinity) this.#entries.delete(key)
  }

  /** Drops every reference to one version (it failed to load or went away). */
  forgetVersion(id: number): void {
    for (const [key, e] of this.#entries) if (e.version.id === id) this.#entries.delete(key)
  }
}
