import { Unsupported } from '../../errors.js'
import { argmaxAt } from './native-model.js'
import type { ClassLabel, FeatureHints, NativeModel, NativeOutputs, OutputRole } from './native-model.js'
import { Float32Scratch, flattenTrees, maxFeature, thresholdsByFeature, xgboostMargins } from './tree-arrays.js'
import type { TreeArrays, TreeNodes } from './tree-arrays.js'

const f32 = Math.fround

type Transform = 'identity' | 'sigmoid' | 'exp' | 'softprob' | 'softmax' | 'hinge'
/** Objective → how its margin becomes a prediction, and how base_score becomes a margin (XGBoost 1.7). */
const OBJECTIVES: Record<string, { transform: Transform; base: 'identity' | 'logit' | 'log' }> = {
  'reg:squarederror': { transform: 'identity', base: 'identity' },
  'reg:linear': { transform: 'identity', base: 'identity' },
  'reg:squaredlogerror': { transform: 'identity', base: 'identity' },
  'reg:pseudohubererror': { transform: 'identity', base: 'identity' },
  'reg:absoluteerror': { transform: 'identity', base: 'identity' },
  'reg:logistic': { transform: 'sigmoid', base: 'logit' },
  'binary:logistic': { transform: 'sigmoid', base: 'logit' },
  'binary:logitraw': { transform: 'identity', base: 'logit' },
  'binary:hinge': { transform: 'hinge', base: 'identity' },
  'count:poisson': { transform: 'exp', base: 'log' },
  'reg:gamma': { transform: 'exp', base: 'log' },
  'reg:tweedie': { transform: 'exp', base: 'log' },
  'multi:softprob': { transform: 'softprob', base: 'identity' },
  'multi:softmax': { transform: 'softmax', base: 'identity' },
}

/** How the model is called: a bare Booster (the worker's rules) or the sklearn wrappers. */
export type XgboostWrapper = 'booster' | 'classifier' | 'regressor'

export interface XgboostOptions {
  wrapper: XgboostWrapper
  estimator: string
  /** Trees of the first `iterationEnd` boosting rounds (0 = all), as the wrappers' best_iteration. */
  iterationEnd?: number
  /** The wrapper's label encoder classes, when it has one. */
  classes?: ClassLabel[] | null
}

/** An XGBoost gbtree model from its own JSON document (`save_model('model.json')` / `save_raw('json')`). */
export class XgboostModel implements NativeModel {
  readonly #x32 = new Float32Scratch()
  readonly summary: string
  readonly library = 'xgboost'
  readonly evaluator = 'tree'
  readonly nFeatures: number
  readonly widths: Partial<Record<OutputRole, number>> = {}
  readonly acceptsMissing = true
  readonly objective: string
  readonly #trees: TreeArrays
  readonly #treeEnd: number
  readonly #groups: number
  readonly #base: number
  readonly #transform: Transform
  #classes: readonly ClassLabel[] | null | undefined

  constructor(doc: unknown, opts: XgboostOptions) {
    const learner = field(doc, 'learner')
    const params = field(learner, 'learner_model_param')
    this.objective = String(field(field(learner, 'objective'), 'name'))
    const booster = field(learner, 'gradient_booster')
    const kind = String(field(booster, 'name'))
    if (kind !== 'gbtree') throw new Unsupported(`an xgboost ${kind} booster has no native conversion`)
    const objective = OBJECTIVES[this.objective]
    if (!objective) throw new Unsupported(`xgboost objective ${this.objective} has no native conversion`)
    if (Number(field(params, 'num_target', '1')) > 1) throw new Unsupported('a multi-target xgboost model has no native conversion')
    const model = field(booster, 'model')
    const raw = field(model, 'trees') as Record<string, unknown>[]
    const info = field(model, 'tree_info') as number[]
    if (!Array.isArray(raw) || !Array.isArray(info) || info.length !== raw.length) throw new Error('trees and tree_info differ in length')
    this.#groups = Math.max(1, Number(field(params, 'num_class', '0')))
    this.nFeatures = Number(field(params, 'num_feature'))
    this.#trees = flattenTrees(raw.map(treeNodes), 1, info, f32)
    if (maxFeature(this.#trees) >= this.nFeatures) throw new Error(`a split reads feature ${maxFeature(this.#trees)} of ${this.nFeatures}`)
    const parallel = Number(field(field(model, 'gbtree_model_param'), 'num_parallel_tree', '1'))
    const perRound = parallel * this.#groups
    const end = opts.iterationEnd ?? 0
    this.#treeEnd = end > 0 ? Math.min(raw.length, end * perRound) : raw.length
    this.#base = baseMargin(Number(field(params, 'base_score')), objective.base)
    this.#transform = objective.transform
    this.#setRoles(opts)
    const rounds = this.#treeEnd < raw.length ? `${this.#treeEnd} of ${raw.length} trees` : `${raw.length} trees`
    this.summary = `${opts.estimator} (${rounds}, ${this.objective})`
  }

  #setRoles(opts: XgboostOptions): void {
    const t = this.#transform
    const classifier = this.objective === 'binary:logistic' || t === 'softprob' || t === 'softmax'
    if (opts.wrapper === 'booster') this.widths.scores = this.#groups
    if (opts.wrapper === 'regressor' || (opts.wrapper === 'booster' && !classifier)) {
      if (this.#groups === 1) this.widths.predictions = 1
      return
    }
    this.#classes = opts.classes ?? null
    this.widths.predictions = 1
    if (t === 'sigmoid') this.widths.probabilities = 2
    if (t === 'softprob') this.widths.probabilities = this.#groups
  }

  get classes(): readonly ClassLabel[] | null | undefined {
    return this.#classes
  }

  featureHints(): FeatureHints {
    return { thresholds: thresholdsByFeature(this.#trees, this.nFeatures) }
  }

  /** The float32 margins, `rows × groups`. */
  margins(x: Float64Array, rows: number): Float32Array {
    const x32 = this.#x32.of(x, rows * this.nFeatures)
    const out = new Float32Array(rows * this.#groups).fill(this.#base)
    xgboostMargins(this.#trees, this.#treeEnd, x32, rows, this.nFeatures, out, this.#groups)
    return out
  }

  run(x: Float64Array, rows: number, roles: ReadonlySet<OutputRole>): NativeOutputs {
    const g = this.#groups
    const margin = this.margins(x, rows)
    const out: NativeOutputs = {}
    if (roles.has('scores')) out.scores = new Float64Array(margin)
    if (!roles.has('predictions') && !roles.has('probabilities')) return out
    const p = this.#predict(margin, rows)
    if (this.classes === undefined) {
      out.values = new Float64Array(p)
      return out
    }
    if (roles.has('probabilities')) {
      if (g === 1) {
        const probs = new Float64Array(rows * 2)
        for (let r = 0; r < rows; r++) {
          probs[2 * r] = f32(1 - p[r]!)
          probs[2 * r + 1] = p[r]!
        }
        out.probabilities = probs
      } else out.probabilities = new Float64Array(p)
    }
    if (roles.has('predictions')) {
      const idx = new Int32Array(rows)
      for (let r = 0; r < rows; r++) idx[r] = this.#transform === 'softmax' ? p[r]! : g === 1 ? (p[r]! > 0.5 ? 1 : 0) : argmaxAt(p, r * g, g)
      out.classIndex = idx
    }
    return out
  }

  /** Booster.predict(): the objective's transform of the margins (softmax → class index). */
  #predict(m: Float32Array, rows: number): Float32Array {
    const g = this.#groups
    switch (this.#transform) {
      case 'identity': return m
      case 'sigmoid': return m.map(sigmoid32)
      case 'exp': return m.map((v) => f32(Math.exp(v)))
      case 'hinge': return m.map((v) => (v > 0 ? 1 : 0))
      case 'softmax': {
        const out = new Float32Array(rows)
        for (let r = 0; r < rows; r++) out[r] = argmaxAt(m, r * g, g)
        return out
      }
      case 'softprob': {
        const out = new Float32Array(m)
        for (let r = 0; r < rows; r++) softmax32(out, r * g, g)
        return out
      }
    }
  }
}

// XGBoost's float32 `1.0f / (1.0f + expf(-x))`.
function sigmoid32(x: number): number {
  return f32(1 / f32(1 + f32(Math.exp(-x))))
}

// XGBoost's Softmax: float max and expf, the sum kept in double, each value divided by the float sum.
function softmax32(a: Float32Array, at: number, n: number): void {
  let max = a[at]!
  for (let i = 1; i < n; i++) max = Math.max(a[at + i]!, max)
  let sum = 0
  for (let i = 0; i < n; i++) {
    a[at + i] = Math.exp(f32(a[at + i]! - max))
    sum += a[at + i]!
  }
  const s = f32(sum)
  for (let i = 0; i < n; i++) a[at + i] = a[at + i]! / s
}

function baseMargin(base: number, how: 'identity' | 'logit' | 'log'): number {
  const b = f32(base)
  if (how === 'logit') return f32(-f32(Math.log(f32(f32(1 / b) - 1))))
  if (how === 'log') return f32(Math.log(b))
  return b
}

function treeNodes(t: Record<string, unknown>, k: number): TreeNodes {
  const types = t.split_type as number[] | undefined
  if ((types && types.some((s) => s !== 0)) || (Array.isArray(t.categories) && t.categories.length > 0)) {
    throw new Unsupported(`xgboost tree ${k} has categorical splits, which have no native conversion`)
  }
  const cond = field(t, 'split_conditions') as number[]
  return {
    feature: field(t, 'split_indices') as number[], threshold: cond,
    left: field(t, 'left_children') as number[], right: field(t, 'right_children') as number[],
    defaultLeft: field(t, 'default_left') as number[], value: cond,
  }
}

function field(o: unknown, key: string, fallback?: unknown): unknown {
  const v = typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[key] : undefined
  if (v === undefined) {
    if (fallback !== undefined) return fallback
    throw new Error(`the xgboost model has no '${key}'`)
  }
  return v
}
