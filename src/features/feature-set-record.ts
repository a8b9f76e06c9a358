import type { SchemaField } from '../data/schema.js'
import type { FeatureSetDefinition } from './definition.js'

/** One applied version of a feature set, as `features show --json`, REST and the SDK return it. */
export interface FeatureSetRecord {
  name: string
  workspace: string
  version: number
  /** SHA-256 of the canonical definition: equal digests, equal definitions. */
  digest: string
  /** Entity key columns with their types as found in the source. */
  keys: SchemaField[]
  definition: FeatureSetDefinition
  created_at: string
}

export interface AppliedFeatureSet {
  name: string
  version: number
  /** False when the definition equals the newest version (nothing was stored). */
  changed: boolean
  record: FeatureSetRecord
}
