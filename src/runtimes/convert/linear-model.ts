import { argmaxAt, expit, numpySum, softmaxInPlace } from './native-model.js'
import type { ClassLabel, FeatureHints, NativeModel, NativeOutputs, OutputRole } from './native-model.js'

/** The linear part of the extraction script's output. */
export interface LinearSpec {
  kind: 'linear'
  estimator: string
  classifier: boolean
  classes: ClassLabel[] | null
  n_features: number
  /** `k × n_features`, one row per class (one row for binary classifiers and regressors). */
  coef: number[][]
  intercept: number[]
  /** How predict_proba turns scores into probabilities; null when the estimator has none. */
  proba: 'ovr' | 'softmax' | null
  /** decision_function returns one column (binary classifiers, regressors). */
  scores_1d: boolean
}

/**
 * LinearRegression, Ridge, Lasso, ElasticNet, SGD*, LinearSVC and LogisticRegression (binary,
 * multinomial and one-vs-rest): scores = X · coefᵀ + intercept over Float64Arrays.
 */
export class LinearModel implements NativeModel {
  readonly summary: string
  readonly library = 'sklearn'
  readonly evaluator = 'linear'
  readonly nFeatures: number
  readonly classes?: readonly ClassLabel[] | null
  readonly widths: Partial<Record<OutputRole, number>> = {}
  readonly acceptsMissing = false
  readonly #spec: LinearSpec
  readonly #coef: Float64Array
  readonly #intercept: Float64Array
  readonly #k: number

  constructor(spec: LinearSpec) {
    this.#spec = spec
    this.nFeatures = spec.n_features
    this.#k = spec.coef.length
    if (this.#k === 0 || spec.intercept.length !== this.#k || spec.coef.some((row) => row.length !== spec.n_features)) {
      throw new Error(`${spec.estimator} has coefficients of inconsistent shape`)
    }
    this.#coef = Float64Array.from(spec.coef.flat())
    this.#intercept = Float64Array.from(spec.intercept)
    this.widths.predictions = 1
    if (spec.classifier) {
      this.classes = spec.classes
      this.widths.scores = spec.scores_1d ? 1 : this.#k
      if (spec.proba) this.widths.probabilities = spec.classes?.length ?? this.#k
    }
    const shape = spec.classifier ? `${spec.classes?.length ?? this.#k} classes` : '1 target'
    this.summary = `${spec.estimator} (${spec.n_features} features, ${shape}${spec.proba ? `, ${spec.proba} probabilities` : ''})`
  }

  /** Feature magnitudes at which each term moves the scores by about 1/√n. */
  featureHints(): FeatureHints {
    const n = this.nFeatures
    const scales: number[] = []
    for (let j = 0; j < n; j++) {
      let m = 0
      for (let c = 0; c < this.#k; c++) m = Math.max(m, Math.abs(this.#coef[c * n + j]!))
      scales.push(m > 0 ? Math.min(1e6, 1 / (Math.sqrt(n) * m)) : 1)
    }
    return { scales }
  }

  /** decision_function: `rows × k` scores. */
  scores(x: Float64Array, rows: number): Float64Array {
    const n = this.nFeatures
    const k = this.#k
    const w = this.#coef
    const out = new Float64Array(rows * k)
    for (let r = 0; r < rows; r++) {
      const xo = r * n
      for (let c = 0; c < k; c++) {
        const wo = c * n
        let s = 0
        for (let j = 0; j < n; j++) s += x[xo + j]! * w[wo + j]!
        out[r * k + c] = s + this.#intercept[c]!
      }
    }
    return out
  }

  run(x: Float64Array, rows: number, roles: ReadonlySet<OutputRole>): NativeOutputs {
    const s = this.scores(x, rows)
    if (!this.#spec.classifier) return { values: s }
    const k = this.#k
    const out: NativeOutputs = {}
    if (roles.has('scores')) out.scores = s
    if (roles.has('predictions')) {
      const idx = new Int32Array(rows)
      for (let r = 0; r < rows; r++) idx[r] = k === 1 ? (s[r]! > 0 ? 1 : 0) : argmaxAt(s, r * k, k)
      out.classIndex = idx
    }
    if (roles.has('probabilities') && this.#spec.proba) out.probabilities = this.#probabilities(s, rows)
    return out
  }

  #probabilities(s: Float64Array, rows: number): Float64Array {
    const k = this.#k
    if (k === 1) {
      const out = new Float64Array(rows * 2)
      for (let r = 0; r < rows; r++) {
        if (this.#spec.proba === 'softmax') {
          out[2 * r] = -s[r]!
          out[2 * r + 1] = s[r]!
          softmaxInPlace(out, 2 * r, 2)
        } else {
          const p = expit(s[r]!)
          out[2 * r] = 1 - p
          out[2 * r + 1] = p
        }
      }
      return out
    }
    const out = new Float64Array(s)
    for (let r = 0; r < rows; r++) {
      if (this.#spec.proba === 'softmax') softmaxInPlace(out, r * k, k)
      else {
        for (let c = 0; c < k; c++) out[r * k + c] = expit(out[r * k + c]!)
        const sum = numpySum(out, r * k, k)
        for (let c = 0; c < k; c++) out[r * k + c]! /= sum
      }
    }
    return out
  }
}
