import { argmaxAt, expit, numpySum, softmaxInPlace } from './native-model.js'
import type { ClassLabel, FeatureHints, NativeModel, NativeOutputs, OutputRole } from './native-model.js'

/** Rows per tile of the score loops: a tile's features stay in cache while each class reads them. */
const SCORE_TILE_ROWS = 256

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

  /**
   * decision_function: `rows × k` scores, each `0 + x₀w₀ + x₁w₁ + … + b` summed left to right. The
   * loops go class by class over tiles of rows, four weights at a time held in locals, so the
   * sums of different rows run side by side instead of one long dependent chain per row.
   */
  scores(x: Float64Array, rows: number): Float64Array {
    const n = this.nFeatures
    const k = this.#k
    const w = this.#coef
    const b = this.#intercept
    const out = new Float64Array(rows * k)
    for (let r0 = 0; r0 < rows; r0 += SCORE_TILE_ROWS) {
      const r1 = Math.min(rows, r0 + SCORE_TILE_ROWS)
      for (let c = 0; c < k; c++) {
        const wo = c * n
        let j = 0
        for (; j + 4 <= n; j += 4) {
          const w0 = w[wo + j]!, w1 = w[wo + j + 1]!, w2 = w[wo + j + 2]!, w3 = w[wo + j + 3]!
          for (let r = r0, xo = r0 * n + j, oo = r0 * k + c; r < r1; r++, xo += n, oo += k) {
            out[oo] = out[oo]! + x[xo]! * w0 + x[xo + 1]! * w1 + x[xo + 2]! * w2 + x[xo + 3]! * w3
          }
        }
        for (; j < n; j++) {
          const wj = w[wo + j]!
          for (let r = r0, xo = r0 * n + j, oo = r0 * k + c; r < r1; r++, xo += n, oo += k) out[oo] = out[oo]! + x[xo]! * wj
        }
        const bc = b[c]!
        for (let r = r0, oo = r0 * k + c; r < r1; r++, oo += k) out[oo] = out[oo]! + bc
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
    // With no scores asked for, the probabilities are computed over the scores' own array.
    if (roles.has('probabilities') && this.#spec.proba) out.probabilities = this.#probabilities(s, rows, !roles.has('scores'))
    return out
  }

  #probabilities(s: Float64Array, rows: number, inPlace: boolean): Float64Array {
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
    const out = inPlace ? s : new Float64Array(s)
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
