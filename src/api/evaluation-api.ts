import type { ScopeOptions } from './quiver-api.js'
import type { CaseDefinition, ComparisonResult, EvaluationResult, SuiteRecord } from '../evaluation/results.js'

export type { CaseDefinition, CaseMetrics, ClassificationMetrics, ComparisonResult, EvaluationResult, MetricComparison, Promotion, RegressionMetrics, SuiteRecord } from '../evaluation/results.js'

/** A suite's samples: a table file (CSV, JSON, JSON lines, Parquet, Arrow) by path, or its bytes and name. */
export type SuiteSource = { path: string } | { bytes: Uint8Array; fileName: string }

export interface CreateSuiteRequest {
  name: string
  source: SuiteSource
  /** The ground-truth column. */
  label: string
  /** Columns packed in order into the model's single list input; absent → matched to input fields by name. */
  features?: string[]
  cases?: CaseDefinition[]
}

export interface EvaluateRequest extends ScopeOptions {
  /** `NAME` (newest version) or `NAME#VERSION`. */
  suite: string
  onProgress?: (message: string) => void
}

export interface CompareRequest extends EvaluateRequest {
  /** A case regresses when a metric is worse by more than this (default 0). */
  threshold?: number
  /** Move this tag to the better version when no case regresses. */
  promote?: string
}

/** Test suites, evaluation and comparison (SPEC §9): the same calls in process and over HTTP. */
export interface EvaluationApi {
  createSuite(req: CreateSuiteRequest, opts?: ScopeOptions): Promise<SuiteRecord & { created: boolean }>
  listSuites(opts?: ScopeOptions): Promise<SuiteRecord[]>
  showSuite(ref: string, opts?: ScopeOptions): Promise<SuiteRecord>
  evaluate(ref: string, req: EvaluateRequest): Promise<EvaluationResult>
  /** Evaluates both (reusing a stored evaluation of the same version and suite version), side by side. */
  compare(a: string, b: string, req: CompareRequest): Promise<ComparisonResult>
}
