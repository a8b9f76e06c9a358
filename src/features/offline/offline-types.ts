/** The shapes of offline requests and results, on their own so the SDK reaches no engine. */

export interface EnrichRequest {
  input: string
  output: string
  /** One model: its reference, the input columns and the new column's name. */
  model?: string
  inputs?: string[]
  as?: string
  /** Or features `SET.F` computed from the input's base-feature columns. */
  features?: string[]
}

export interface TrainingSetRequest {
  spine: string
  features: string[]
  label?: string
  /** The spine's timestamp column; default the first set's `event_time` name. */
  time?: string
  /** `30d`: only values newer than the spine time minus this count (else the set's ttl applies). */
  window?: string
  output: string
}

export interface OfflineResult {
  output: string
  rows: number
  /** The columns added to the input (enrich) or to the spine (training set). */
  columns: string[]
  /** Derived feature (or the `--as` column) → `name:uuid` of the model version that computed it. */
  models: Record<string, string>
  seconds: number
}
