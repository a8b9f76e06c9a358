import { Unsupported } from '../../errors.js'
import { argmaxAt, expit, numpySum } from './native-model.js'
import type { ClassLabel, FeatureHints, NativeModel, NativeOutputs, OutputRole } from './native-model.js'
import { Float32Scratch, flattenTrees, maxFeature, sklearnLeaves, sklearnSums, thresholdsByFeature } from './tree-arrays.js'
import type { TreeArrays, TreeNodes } from './tree-arrays.js'

/** The tree part of the extraction script's output for sklearn estimators. */
export interface SklearnTreesSpec {
  kind: 'sklearn_trees'
  estimator: string
  ensemble: 'single' | 'forest' | 'boosting'
  classifier: boolean
  classes: ClassLabel[] | null
  n_features: number
  groups: number
  trees: TreeNodes[]
  learning_rate?: number
  loss?: string
  init?: number[]
}

const BOOSTING_LOSSES = new Set([
  'BinomialDeviance', 'MultinomialDeviance', 'ExponentialLoss',
  'LeastSquaresError', 'LeastAbsoluteError', 'HuberLossFunction', 'QuantileLossFunction',
])

/**
 * sklearn DecisionTree*, ExtraTree*, RandomForest*, ExtraTrees* and GradientBoosting* estimators
 * (sklearn 1.2 semantics): features cast to float32, `x <= threshold` goes left, sums in float64.
 */
export class SklearnTreeModel implements NativeModel {
  readonly #x32 = new Float32Scratch()
  readonly summary: string
  readonly library = 'sklearn'
  readonly evaluator = 'tree'
  readonly nFeatures: number
  readonly classes?: readonly ClassLabel[] | null
  readonly widths: Partial<Record<OutputRole, number>> = {}
  readonly acceptsMissing = false
  readonly #spec: SklearnTreesSpec
  readonly #trees: TreeArrays
  /** Per-node argmax of the raw class weights (a single tree's predict()). */
  readonly #leafClass: Int32Array | null = null

  constructor(spec: SklearnTreesSpec) {
    this.#spec = spec
    this.nFeatures = spec.n_features
    const k = spec.classes?.length ?? 0
    const boosting = spec.ensemble === 'boosting'
    if (boosting && !BOOSTING_LOSSES.has(spec.loss ?? '')) throw new Unsupported(`${spec.estimator} with loss ${spec.loss} has no native conversion`)
    const width = spec.classifier && !boosting ? k : 1
    const groups = boosting ? spec.trees.map((_, i) => i % spec.groups) : null
    const trees = spec.classifier && !boosting ? spec.trees.map((t) => ({ ...t, value: normalised(t.value, k) })) : spec.trees
    this.#trees = flattenTrees(trees, width, groups)
    if (maxFeature(this.#trees) >= this.nFeatures) throw new Error(`a split reads feature ${maxFeature(this.#trees)} of ${this.nFeatures}`)
    if (spec.classifier && spec.ensemble === 'single') {
      const raw = flattenTrees(spec.trees, k, null)
      this.#leafClass = new Int32Array(raw.nodes)
      for (let n = 0; n < raw.nodes; n++) this.#leafClass[n] = argmaxAt(raw.leaf, n * k, k)
    }
    if (spec.classifier) {
      this.classes = spec.classes
      this.widths.predictions = 1
      this.widths.probabilities = k
      if (boosting) this.widths.scores = spec.groups
    } else this.widths.predictions = 1
    const count = spec.ensemble === 'single' ? '1 tree' : `${spec.trees.length} trees`
    this.summary = `${spec.estimator} (${count}${boosting ? `, ${spec.loss}` : ''})`
  }

  featureHints(): FeatureHints {
    return { thresholds: thresholdsByFeature(this.#trees, this.nFeatures) }
  }

  run(x: Float64Array, rows: number, roles: ReadonlySet<OutputRole>): NativeOutputs {
    const x32 = this.#x32.of(x, rows * this.nFeatures)
    const s = this.#spec
    if (s.ensemble === 'boosting') return this.#boosting(x32, rows, roles)
    const width = this.#trees.width
    if (s.ensemble === 'single') {
      const leaves = sklearnLeaves(this.#trees, x32, rows, this.nFeatures)
      const out: NativeOutputs = {}
      if (!s.classifier) {
        out.values = new Float64Array(rows)
        for (let r = 0; r < rows; r++) out.values[r] = this.#trees.leaf[leaves[r]!]!
        return out
      }
      out.classIndex = new Int32Array(rows)
      for (let r = 0; r < rows; r++) out.classIndex[r] = this.#leafClass![leaves[r]!]!
      out.probabilities = new Float64Array(rows * width)
      for (let r = 0; r < rows; r++) out.probabilities.set(this.#trees.leaf.subarray(leaves[r]! * width, (leaves[r]! + 1) * width), r * width)
      return out
    }
    const sum = new Float64Array(rows * width)
    sklearnSums(this.#trees, x32, rows, this.nFeatures, sum, width, null)
    const n = this.#trees.trees
    for (let i = 0; i < sum.length; i++) sum[i]! /= n
    if (!s.classifier) return { values: sum }
    const idx = new Int32Array(rows)
    for (let r = 0; r < rows; r++) idx[r] = argmaxAt(sum, r * width, width)
    return { classIndex: idx, probabilities: sum }
  }

  #boosting(x32: Float32Array, rows: number, roles: ReadonlySet<OutputRole>): NativeOutputs {
    const s = this.#spec
    const k = s.groups
    const raw = new Float64Array(rows * k)
    for (let r = 0; r < rows; r++) raw.set(s.init!, r * k)
    sklearnSums(this.#trees, x32, rows, this.nFeatures, raw, k, s.learning_rate!)
    if (!s.classifier) return { values: raw }
    const out: NativeOutputs = {}
    if (roles.has('scores')) out.scores = raw
    const proba = probabilities(s.loss!, raw, rows, k)
    out.probabilities = proba
    const idx = new Int32Array(rows)
    const width = proba.length / rows
    for (let r = 0; r < rows; r++) idx[r] = s.loss === 'ExponentialLoss' ? (raw[r]! >= 0 ? 1 : 0) : argmaxAt(proba, r * width, width)
    out.classIndex = idx
    return out
  }
}

// sklearn 1.2 loss functions' _raw_prediction_to_proba.
function probabilities(loss: string, raw: Float64Array, rows: number, k: number): Float64Array {
  if (loss === 'MultinomialDeviance') {
    const out = new Float64Array(rows * k)
    for (let r = 0; r < rows; r++) {
      // scipy's logsumexp: max, exp of the shifted values, numpy sum, log, plus the max.
      let max = -Infinity
      for (let c = 0; c < k; c++) max = Math.max(max, raw[r * k + c]!)
      if (!Number.isFinite(max)) max = 0
      for (let c = 0; c < k; c++) out[r * k + c] = Math.exp(raw[r * k + c]! - max)
      const lse = Math.log(numpySum(out, r * k, k)) + max
      for (let c = 0; c < k; c++) {
        const p = Math.exp(raw[r * k + c]! - lse)
        out[r * k + c] = Number.isNaN(p) ? 0 : p
      }
    }
    return out
  }
  const scale = loss === 'ExponentialLoss' ? 2 : 1
  const out = new Float64Array(rows * 2)
  for (let r = 0; r < rows; r++) {
    const p = expit(scale * raw[r]!)
    out[2 * r] = 1 - p
    out[2 * r + 1] = p
  }
  return out
}

// A classifier tree's leaf weights as predict_proba sees them: divided by their sum (1 when 0).
function normalised(value: ArrayLike<number>, k: number): Float64Array {
  const out = Float64Array.from(value)
  for (let at = 0; at < out.length; at += k) {
    const s = numpySum(out, at, k) || 1
    for (let c = 0; c < k; c++) out[at + c]! /= s
  }
  return out
}
