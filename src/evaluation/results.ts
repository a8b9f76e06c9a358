/** The shapes suites, evaluations and comparisons are handed out in (types only, so the SDK can name them). */
import type { ModelSchema } from '../data/schema.js'
import type { Label } from './labels.js'

export interface CaseDefinition { name: string; expression: string }

/** What a suite version holds besides its name: the label, how samples meet the model, the cases, the samples' schema. */
export interface SuiteDefinition {
  label: string
  /** Columns packed in order into the model's single list input; null → samples match input fields by name. */
  features: string[] | null
  cases: CaseDefinition[]
  schema: ModelSchema
  rows: number
  file_name: string
}

export interface SuiteRecord extends SuiteDefinition {
  workspace: string
  name: string
  version: number
  /** `name#version`, as evaluations name it. */
  ref: string
  digest: string
  blob_sha256: string
  created_at: string
}

export interface ClassMetrics { precision: number; recall: number; f1: number; support: number }

export interface ClassificationMetrics {
  rows: number
  accuracy: number
  precision_macro: number
  recall_macro: number
  f1_macro: number
  /** Row i: true class labels[i]; column j: predicted labels[j]. */
  confusion_matrix: number[][]
  labels: Label[]
  per_class: Record<string, ClassMetrics>
  /** Present when the model gives probabilities; null when scikit-learn cannot compute it for these rows. */
  roc_auc?: number | null
}

export interface RegressionMetrics { rows: number; mae: number; rmse: number; r2: number }

export type CaseMetrics = ClassificationMetrics | RegressionMetrics

/** SPEC §9's `evaluate --json`, plus rows, latency, warnings and where the inferences are stored. */
export interface EvaluationResult {
  model: string
  suite: string
  task: 'classification' | 'regression'
  cases: Record<string, CaseMetrics>
  deterministic: boolean
  rows: number
  latency: { batches: number; batch_rows: number; mean_ms: number; p50_ms: number; p95_ms: number; rows_per_second: number }
  warnings: string[]
  evaluation_id: number
  inferences_sha256: string
  created_at: string
}

export interface MetricComparison {
  case: string
  metric: string
  a: number | null
  b: number | null
  delta: number | null
  /** B is worse than A by more than the threshold. */
  regression: boolean
  /** A is worse than B by more than the threshold. */
  improvement: boolean
}

export interface Promotion {
  tag: string
  promoted: boolean
  /** The version the tag now names (when promoted) or would have named. */
  version: string
  reason: string
}

export interface ComparisonResult {
  a: string
  b: string
  suite: string
  task: string
  threshold: number
  rows: MetricComparison[]
  /** Cases where B regresses against A. */
  regressions: string[]
  better: 'a' | 'b' | 'tie'
  promotion?: Promotion
  /** Both evaluations in full, A then B. */
  results: [EvaluationResult, EvaluationResult]
}
