import type { ModelSummary, VersionRecord } from '../records/version-record.js'

/** A version as its creator gives it; the store assigns id, seq and times, and it starts untagged. */
export type NewVersion = Omit<VersionRecord, 'id' | 'seq' | 'error_message' | 'tags' | 'created_at' | 'last_update_time'>

export type VersionPatch = Partial<Pick<VersionRecord,
  'status' | 'error_message' | 'runtime' | 'input_schema' | 'output_schema' | 'description' | 'metadata' | 'config'>>

/** How a reference picks a version; `latest` = highest seq whose status is `ready`. */
export type VersionSelector =
  | { kind: 'latest' }
  | { kind: 'tag'; tag: string }
  | { kind: 'uuid'; uuid: string }
  | { kind: 'seq'; seq: number }

/**
 * The metadata store: all SQL lives behind this. Business rules (names, refs, status moves) live
 * in registry/. Every method is atomic on its own.
 */
export interface MetadataStore {
  /** Creates the workspace if it does not exist. `default` exists after open. */
  ensureWorkspace(workspace: string): Promise<void>
  listWorkspaces(): Promise<string[]>
  /** Creates the model row if needed and allocates the next seq atomically (safe under concurrency). */
  createVersion(v: NewVersion): Promise<VersionRecord>
  getVersion(workspace: string, name: string, selector: VersionSelector): Promise<VersionRecord | null>
  getVersionById(id: number): Promise<VersionRecord | null>
  listVersions(workspace: string, name: string): Promise<VersionRecord[]>
  listModels(workspace: string): Promise<ModelSummary[]>
  modelExists(workspace: string, name: string): Promise<boolean>
  updateVersion(id: number, patch: VersionPatch): Promise<VersionRecord>
  /** Removes a version that never became usable (failed upload clean-up). Its tags go with it. */
  deleteVersion(id: number): Promise<void>
  /** Points `tag` at version `id`, moving it atomically from any other version of the same model. */
  setTag(id: number, tag: string): Promise<void>
  /** Returns false when the model has no such tag. */
  removeTag(workspace: string, name: string, tag: string): Promise<boolean>
  /** How many versions reference this blob (main artifact or additional file). */
  blobReferences(sha256: string): Promise<number>
  close(): Promise<void>
}
