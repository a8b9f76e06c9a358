/** Test-suite versions and evaluation results: what `evaluation/` keeps in SQL. */

export interface StoredSuite {
  id: number
  workspace: string
  name: string
  version: number
  digest: string
  /** The samples and ground truth, an Arrow IPC blob in the artifact store. */
  blob_sha256: string
  /** Label, features, cases and schema as created; its shape belongs to `evaluation/`. */
  definition: unknown
  created_at: string
}

export interface NewSuiteVersion {
  workspace: string
  name: string
  digest: string
  blob_sha256: string
  definition: unknown
}

export interface StoredEvaluation {
  id: number
  version_id: number
  suite_id: number
  inferences_sha256: string
  result: unknown
  created_at: string
}

export interface SuiteStore {
  /** Stores a new version unless the newest one has the same digest; `created` says which happened. */
  putSuite(v: NewSuiteVersion): Promise<{ record: StoredSuite; created: boolean }>
  /** The given version, or the newest when `version` is absent; null when there is none. */
  getSuite(workspace: string, name: string, version?: number): Promise<StoredSuite | null>
  /** The newest version of every suite in the workspace, by name. */
  listSuites(workspace: string): Promise<StoredSuite[]>
  addEvaluation(e: Omit<StoredEvaluation, 'id' | 'created_at'>): Promise<StoredEvaluation>
  /** The newest evaluation of a model version against a suite version, or null. */
  latestEvaluation(versionId: number, suiteId: number): Promise<StoredEvaluation | null>
}
