import { InvalidInput, NotFound, NotReady } from '../errors.js'
import type { MetadataStore, NewVersion, VersionPatch } from '../store/store.js'
import type { VersionStatus } from '../records/frameworks.js'
import { assertValidName, assertValidTag } from './names.js'
import { formatSelector, parseRef } from './refs.js'
import { assertStatusMove } from './status.js'
import type { ModelSummary, VersionRecord } from '../records/version-record.js'

export const DEFAULT_WORKSPACE = 'default'

/** Business rules over the metadata store: names, references, tags, status moves. */
export class Registry {
  readonly #store: MetadataStore
  constructor(store: MetadataStore) {
    this.#store = store
  }

  async byId(id: number): Promise<VersionRecord> {
    const v = await this.#store.getVersionById(id)
    if (!v) throw new NotFound(`version id ${id} does not exist`, { id })
    return v
  }

  /** Takes back a version that never became usable (a failed upload); its tags go with it. */
  deleteVersion(id: number): Promise<void> {
    return this.#store.deleteVersion(id)
  }

  /** Points a tag at a version already resolved (the tag name checked). */
  setTagById(id: number, tag: string): Promise<void> {
    assertValidTag(tag)
    return this.#store.setTag(id, tag)
  }

  blobReferences(sha256: string): Promise<number> {
    return this.#store.blobReferences(sha256)
  }

  close(): Promise<void> {
    return this.#store.close()
  }

  async resolve(ref: string, workspace = DEFAULT_WORKSPACE): Promise<VersionRecord> {
    const parsed = parseRef(ref)
    const ws = parsed.workspace ?? workspace
    const found = await this.#store.getVersion(ws, parsed.name, parsed.selector)
    if (found) return found
    if (!(await this.#store.modelExists(ws, parsed.name))) {
      throw new NotFound(`model '${parsed.name}' does not exist in workspace '${ws}'`, { ref })
    }
    const s = parsed.selector
    const what =
      s.kind === 'latest' ? `has no ready version (latest means the newest version whose status is ready)`
      : s.kind === 'tag' ? `has no tag '${s.tag}'`
      : s.kind === 'uuid' ? `has no version ${s.uuid}`
      : `has no version #${s.seq}`
    throw new NotFound(`model '${parsed.name}' ${what} (reference ${formatSelector(parsed.name, s)})`, { ref })
  }

  /** Resolves and insists on status `ready`. */
  async resolveReady(ref: string, workspace = DEFAULT_WORKSPACE): Promise<VersionRecord> {
    const v = await this.resolve(ref, workspace)
    if (v.status !== 'ready') {
      const why = v.status === 'error' ? `: ${v.error_message}` : ''
      throw new NotReady(`${v.name}#${v.seq} is not ready (status ${v.status}${why})`, { status: v.status })
    }
    return v
  }

  async createVersion(v: NewVersion): Promise<VersionRecord> {
    assertValidName(v.name, 'model')
    assertValidName(v.workspace, 'workspace')
    await this.#store.ensureWorkspace(v.workspace)
    return this.#store.createVersion(v)
  }

  async moveStatus(v: VersionRecord, to: VersionStatus, patch: VersionPatch = {}): Promise<VersionRecord> {
    assertStatusMove(v.status, to, `${v.name}#${v.seq}`)
    return this.#store.updateVersion(v.id, { ...patch, status: to })
  }

  /** Replaces a version's free-form metadata (promotion decisions are recorded there). */
  setMetadata(id: number, metadata: Record<string, unknown>): Promise<VersionRecord> {
    return this.#store.updateVersion(id, { metadata })
  }

  async listModels(workspace = DEFAULT_WORKSPACE): Promise<ModelSummary[]> {
    assertValidName(workspace, 'workspace')
    return this.#store.listModels(workspace)
  }

  async listVersions(name: string, workspace = DEFAULT_WORKSPACE): Promise<VersionRecord[]> {
    const parsed = parseRef(name)
    if (parsed.selector.kind !== 'latest' || name.includes('@')) {
      throw new InvalidInput(`expected a model name, got reference ${JSON.stringify(name)}`, { field: 'name', got: name })
    }
    const ws = parsed.workspace ?? workspace
    if (!(await this.#store.modelExists(ws, parsed.name))) {
      throw new NotFound(`model '${parsed.name}' does not exist in workspace '${ws}'`)
    }
    return this.#store.listVersions(ws, parsed.name)
  }

  async tag(ref: string, tag: string, workspace = DEFAULT_WORKSPACE): Promise<VersionRecord> {
    assertValidTag(tag)
    const v = await this.resolve(ref, workspace)
    await this.#store.setTag(v.id, tag)
    return (await this.#store.getVersionById(v.id))!
  }

  async untag(name: string, tag: string, workspace = DEFAULT_WORKSPACE): Promise<void> {
    const parsed = parseRef(name)
    const ws = parsed.workspace ?? workspace
    if (!(await this.#store.modelExists(ws, parsed.name))) {
      throw new NotFound(`model '${parsed.name}' does not exist in workspace '${ws}'`)
    }
    if (!(await this.#store.removeTag(ws, parsed.name, tag))) {
      throw new NotFound(`model '${parsed.name}' has no tag '${tag}'`)
    }
  }
}
