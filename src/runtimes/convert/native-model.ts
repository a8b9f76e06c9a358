/** What a converted model computes, and the numeric helpers shared by the evaluators. */

/** The output roles a converted model can fill (SPEC §3 field names map onto them). */
export type OutputRole = 'predictions' | 'probabilities' | 'scores'

export type ClassLabel = number | string

/**
 * Results of one batch, row-major. `classIndex` holds indices into `classes` (or the class
 * number itself when `classes` is null); `values` holds regression outputs.
 */
export interface NativeOutputs {
  classIndex?: Int32Array
  values?: Float64Array
  probabilities?: Float64Array
  scores?: Float64Array
}

/** Split thresholds per feature (trees) or a typical magnitude per feature (linear models). */
export type FeatureHints = { thresholds: number[][] } | { scales: number[] }

/** A model evaluated in process over typed arrays. */
export interface NativeModel {
  /** e.g. `XGBClassifier (30 trees, binary:logistic)`. */
  readonly summary: string
  /** 'xgboost' or 'sklearn': whose outputs it reproduces. */
  readonly library: string
  readonly evaluator: 'tree' | 'linear'
  readonly nFeatures: number
  /** Class labels for classifiers (null: the class is its index); undefined for regressors. */
  readonly classes?: readonly ClassLabel[] | null
  /** Per-row widths of the roles it can fill; a missing role cannot be filled. */
  readonly widths: Partial<Record<OutputRole, number>>
  /** Whether NaN features are defined (xgboost's default directions); otherwise they are refused. */
  readonly acceptsMissing: boolean
  /** Where the model's decisions change, so verification rows exercise them. */
  featureHints(): FeatureHints
  /**
   * Evaluates `rows` rows of `x` (row-major, nFeatures per row). `float32Input` says the features
   * arrived as float32, which changes how sklearn's preprocessing rounds.
   */
  run(x: Float64Array, rows: number, roles: ReadonlySet<OutputRole>, float32Input: boolean): NativeOutputs
}

/** Index of the first largest of `n` values at `a[at..]` (numpy's argmax: ties take the first). */
export function argmaxAt(a: ArrayLike<number>, at: number, n: number): number {
  let best = 0
  let max = a[at]!
  for (let i = 1; i < n; i++) {
    const v = a[at + i]!
    // NaN wins as in numpy, so a NaN row shows up rather than hiding behind a class.
    if (v > max || (v !== v && max === max)) {
      max = v
      best = i
    }
  }
  return best
}

/**
 * numpy's sum of `n` float64 values at `a[at..]`: sequential below 8 values, eight interleaved
 * partial sums up to 128, halves above (its pairwise summation), so normalisations match bit for bit.
 */
export function numpySum(a: ArrayLike<number>, at: number, n: number): number {
  if (n < 8) {
    let s = 0
    for (let i = 0; i < n; i++) s += a[at + i]!
    return s
  }
  if (n <= 128) {
    const r = [a[at]!, a[at + 1]!, a[at + 2]!, a[at + 3]!, a[at + 4]!, a[at + 5]!, a[at + 6]!, a[at + 7]!]
    let i = 8
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j]! += a[at + i + j]!
    let s = (r[0]! + r[1]! + (r[2]! + r[3]!)) + (r[4]! + r[5]! + (r[6]! + r[7]!))
    for (; i < n; i++) s += a[at + i]!
    return s
  }
  let half = n >> 1
  half -= half % 8
  return numpySum(a, at, half) + numpySum(a, at + half, n - half)
}

/** scipy's expit in float64: 1 / (1 + exp(-x)). */
export function expit(x: number): number {
  return 1 / (1 + Math.exp(-x))
}

/** sklearn's softmax of one row in place: subtract the max, exp, divide by the numpy sum. */
export function softmaxInPlace(a: Float64Array, at: number, n: number): void {
  let max = a[at]!
  for (let i = 1; i < n; i++) max = Math.max(max, a[at + i]!)
  for (let i = 0; i < n; i++) a[at + i] = Math.exp(a[at + i]! - max)
  const s = numpySum(a, at, n)
  for (let i = 0; i < n; i++) a[at + i]! /= s
}
