import type { VersionRecord } from '../records/version-record.js'

const MAX_ENTRIES = 4096

/**
 * Resolved references, so the inference hot path does not query the metadata store per call.
 * Pinned references (`:uuid`, `#seq`) of ready versions never change; moving ones (`@tag`,
 * latest) are kept for `ttlMs` (other processes may move them) and dropped at once when this
 * process moves a tag or adds a version of the model, or the change feed says another one did.
 * Past its ttl an entry is still handed out (as not fresh) while it is read again, so no request
 * waits for the metadata store on the hot path.
 */
export class RefCache {
  #entries = new Map<string, { version: VersionRecord; expires: number }>()
  readonly #ttlMs: number
  /** Moves on every drop, so a resolution begun before a drop does not store what it read. */
  #generation = 0

  constructor(ttlMs = 1000) {
    this.#ttlMs = ttlMs
  }

  get generation(): number {
    return this.#generation
  }

  lookup(key: string): { version: VersionRecord; fresh: boolean } | undefined {
    const e = this.#entries.get(key)
    return e && { version: e.version, fresh: e.expires >= performance.now() }
  }

  /** Stores a resolution, unless something was dropped since `generation` was read. */
  set(key: string, version: VersionRecord, pinned: boolean, generation = this.#generation): void {
    if (generation !== this.#generation) return
    if (this.#entries.size >= MAX_ENTRIES && !this.#entries.has(key)) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(key, { version, expires: pinned ? Infinity : performance.now() + this.#ttlMs })
  }

  delete(key: string): void {
    this.#generation++
    this.#entries.delete(key)
  }

  /** Drops every entry of one model (after a tag move or a new version). */
  forgetModel(workspace: string, name: string): void {
    this.#generation++
    for (const [key, e] of this.#entries) {
      if (e.version.workspace === workspace && e.version.name === name) this.#entries.delete(key)
    }
  }

  /** Drops every moving reference (another process changed tags or versions). */
  forgetMoving(): void {
    this.#generation++
    for (const [key, e] of this.#entries) if (e.expires !== Infinity) this.#entries.delete(key)
  }

  /** Drops every reference to one version (it failed to load or went away). */
  forgetVersion(id: number): void {
    this.#generation++
    for (const [key, e] of this.#entries) if (e.version.id === id) this.#entries.delete(key)
  }
}
