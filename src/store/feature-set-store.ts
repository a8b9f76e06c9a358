/** Feature-set versions, lineage edges and the embedded online table: what `features/` keeps in SQL. */

export interface StoredFeatureSet {
  workspace: string
  name: string
  version: number
  digest: string
  /** The definition as applied (JSON); its shape belongs to `features/`. */
  definition: unknown
  keys: unknown
  created_at: string
}

export interface NewFeatureSetVersion {
  workspace: string
  name: string
  digest: string
  definition: unknown
  keys: unknown
}

export interface LineageEdge {
  from_kind: string
  from_ref: string
  to_kind: string
  to_ref: string
  relation: string
}

export interface FeatureSetStore {
  /**
   * Stores a new version unless the newest one has the same digest; atomic against concurrent
   * applies of the same name. `created` says which happened.
   */
  putFeatureSet(v: NewFeatureSetVersion): Promise<{ record: StoredFeatureSet; created: boolean }>
  /** The given version, or the newest when `version` is absent; null when there is none. */
  getFeatureSet(workspace: string, name: string, version?: number): Promise<StoredFeatureSet | null>
  /** The newest version of every set in the workspace, by name. */
  listFeatureSets(workspace: string): Promise<StoredFeatureSet[]>
  /** Records edges; already known ones are kept as they are. */
  addLineage(edges: readonly LineageEdge[]): Promise<void>
  /** Every recorded edge (the graph is small: one edge per definition link). */
  lineageEdges(): Promise<LineageEdge[]>
  /** Embedded online store: upserts `values[i]` under `keys[i]` in `namespace`. */
  writeOnline(namespace: string, keys: readonly string[], values: readonly string[]): Promise<void>
  /** Embedded online store: the value of each key, null where absent. */
  readOnline(namespace: string, keys: readonly string[]): Promise<(string | null)[]>
}
