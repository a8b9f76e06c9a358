/** The shapes of a training request and of what it records (types only, so the SDK can name them). */
import type { VersionRecord } from '../records/version-record.js'

export interface TrainRequest {
  /** The model to register a new version of. */
  name: string
  /** A Python file defining `train(X, y, config)`, or a .ts/.js/.mjs module exporting `train`. */
  trainer: string
  /** A training set file (CSV, Parquet, JSON, Arrow). */
  trainingSet?: string
  /** Or a spine file and `SET.F` features: the training set is built point-in-time. */
  spine?: string
  features?: string[]
  label?: string
  /** Point-in-time window (`90d`) for the spine form; recorded. */
  window?: string
  /** The as-of date of this training run (default today); a new date is a new version. */
  date?: string
  /** Passed to the trainer; `seed` and `validation_fraction` also drive the split. */
  config?: Record<string, string>
  tags?: string[]
  onProgress?: (message: string) => void
  signal?: AbortSignal
}

/** `metadata.training` of a trained version (SPEC §9). */
export interface TrainingMetadata {
  window: string | null
  date: string
  training_set: string
  training_set_sha256: string
  rows: number
  features: string[]
  label: string | null
  config: Record<string, string>
  library_versions: Record<string, string>
  trainer: string
  trainer_sha256: string
  validation: {
    seed: number
    fraction: number
    train_rows: number
    rows: number
    metrics: Record<string, unknown> | null
  }
}

export type TrainedVersion = VersionRecord
