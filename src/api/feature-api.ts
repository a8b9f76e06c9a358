import type { AppliedFeatureSet, FeatureSetRecord } from '../features/feature-set-record.js'
import type { ScopeOptions } from './quiver-api.js'
import type { EnrichRequest, OfflineResult, TrainingSetRequest } from '../features/offline/offline-types.js'
import type { LineageDirection, LineageGraph } from '../features/lineage-graph.js'

export type { AppliedFeatureSet, FeatureSetRecord } from '../features/feature-set-record.js'
export type { EnrichRequest, OfflineResult, TrainingSetRequest } from '../features/offline/offline-types.js'
export type { LineageDirection, LineageGraph } from '../features/lineage-graph.js'
import type { EntityKey, FetchResult, MaterializeResult } from '../features/online-types.js'
export type { EntityKey, FetchResult, MaterializeResult } from '../features/online-types.js'
export type { FeatureSetDefinition, FeatureDefinition, InferenceSpec, SourceDefinition } from '../features/definition.js'

/** Feature sets and models as features (SPEC §7): the same calls in process and over HTTP. */
export interface FeatureApi {
  /** Registers definitions (JSON form objects); a changed one becomes a new version, an unchanged one is a no-op. */
  apply(definitions: unknown[], opts?: ScopeOptions): Promise<AppliedFeatureSet[]>
  list(opts?: ScopeOptions): Promise<FeatureSetRecord[]>
  /** The newest version, or the given one. */
  show(name: string, opts?: ScopeOptions & { version?: number }): Promise<FeatureSetRecord>
  /** Batch enrichment of a table file (paths as the serving process sees them), streamed. */
  enrich(req: EnrichRequest, opts?: ScopeOptions): Promise<OfflineResult>
  /** A point-in-time training set from a spine file, leak-free; recorded in lineage. */
  trainingSet(req: TrainingSetRequest, opts?: ScopeOptions): Promise<OfflineResult>
  /** Recorded lineage around a node (feature set, `SET.F`, model, training-set path). */
  lineage(ref: string, opts?: ScopeOptions & { direction?: LineageDirection }): Promise<LineageGraph>
  /** Loads the latest value of each entity (event time within start..end, ISO-8601 or epoch ms) into the online store. */
  materialize(set: string, opts?: ScopeOptions & MaterializeWindow): Promise<MaterializeResult>
  /** One entity's features: base ones from the online store, derived ones computed now; missing ones listed. */
  fetch(set: string, key: EntityKey, opts?: ScopeOptions & { features?: string[] }): Promise<FetchResult>
  /** Several entities at once, one result each in order. */
  fetchMany(set: string, keys: EntityKey[], opts?: ScopeOptions & { features?: string[] }): Promise<FetchResult[]>
  /**
   * A model's output for entities: the feature that names the model as its inference (in `set`, or
   * the only set that has one) computed with exactly the version `ref` names.
   */
  fetchInference(ref: string, keys: EntityKey[], opts?: ScopeOptions & { set?: string }): Promise<FetchResult[]>
}

export interface MaterializeWindow {
  start?: string | number
  end?: string | number
}
