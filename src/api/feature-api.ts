import type { AppliedFeatureSet, FeatureSetRecord } from '../features/feature-set-record.js'
import type { ScopeOptions } from './quiver-api.js'

export type { AppliedFeatureSet, FeatureSetRecord } from '../features/feature-set-record.js'
export type { FeatureSetDefinition, FeatureDefinition, InferenceSpec, SourceDefinition } from '../features/definition.js'

/** Feature sets and models as features (SPEC §7): the same calls in process and over HTTP. */
export interface FeatureApi {
  /** Registers definitions (JSON form objects); a changed one becomes a new version, an unchanged one is a no-op. */
  apply(definitions: unknown[], opts?: ScopeOptions): Promise<AppliedFeatureSet[]>
  list(opts?: ScopeOptions): Promise<FeatureSetRecord[]>
  /** The newest version, or the given one. */
  show(name: string, opts?: ScopeOptions & { version?: number }): Promise<FeatureSetRecord>
}
