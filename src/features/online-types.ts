/** The shapes online features answer with (SPEC §7), apart from the code, so the SDK can name them. */

/** An entity's key values by key column. */
export type EntityKey = Record<string, unknown>

/** SPEC §7's `fetch --json` shape, one per entity. */
export interface FetchResult {
  keys: Record<string, unknown>
  features: Record<string, unknown>
  models: Record<string, string>
  missing: string[]
}

export interface MaterializeResult {
  set: string
  version: number
  /** Entities written. */
  entities: number
  seconds: number
  store: 'embedded' | 'redis'
}
