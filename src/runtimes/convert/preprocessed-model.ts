import type { FeatureHints, NativeModel, NativeOutputs, OutputRole } from './native-model.js'

/** A Pipeline step before the final estimator, as the extraction script describes it. */
export type ScalerSpec =
  | { kind: 'standard'; mean: number[] | null; scale: number[] | null }
  | { kind: 'minmax'; scale: number[]; min: number[]; clip: boolean; range: [number, number] }

/**
 * StandardScaler / MinMaxScaler steps followed by a native model (an sklearn Pipeline). Each
 * step works on a copy, in float64, rounding to float32 after every operation when the
 * features arrived as float32 (sklearn keeps float32 through its scalers).
 */
export class PreprocessedModel implements NativeModel {
  readonly summary: string
  readonly library: string
  readonly evaluator
  readonly nFeatures: number
  readonly classes
  readonly widths: Partial<Record<OutputRole, number>>
  readonly acceptsMissing: boolean
  readonly steps: readonly ScalerSpec[]
  readonly #inner: NativeModel

  constructor(steps: readonly ScalerSpec[], inner: NativeModel) {
    this.steps = steps
    this.#inner = inner
    this.library = inner.library
    this.evaluator = inner.evaluator
    this.nFeatures = inner.nFeatures
    this.classes = inner.classes
    this.widths = inner.widths
    this.acceptsMissing = inner.acceptsMissing
    const n = inner.nFeatures
    for (const s of steps) {
      const arrays = s.kind === 'standard' ? [s.mean, s.scale] : [s.scale, s.min]
      if (arrays.some((a) => a !== null && a.length !== n)) throw new Error(`a ${s.kind} scaler has statistics for other than ${n} features`)
    }
    const names = steps.map((s) => (s.kind === 'standard' ? 'StandardScaler' : 'MinMaxScaler'))
    this.summary = `Pipeline(${[...names, inner.summary].join(' → ')})`
  }

  featureHints(): FeatureHints {
    return this.#inner.featureHints()
  }

  /** The features as the final estimator sees them. */
  transform(x: Float64Array, rows: number, float32Input: boolean): Float64Array {
    const n = this.nFeatures
    const r32 = float32Input ? Math.fround : (v: number) => v
    let out = x
    for (const s of this.steps) {
      const next = new Float64Array(out.length)
      if (s.kind === 'standard') {
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < n; j++) {
            let v = out[r * n + j]!
            if (s.mean) v = r32(v - s.mean[j]!)
            if (s.scale) v = r32(v / s.scale[j]!)
            next[r * n + j] = v
          }
        }
      } else {
        const [lo, hi] = s.range
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < n; j++) {
            let v = r32(r32(out[r * n + j]! * s.scale[j]!) + s.min[j]!)
            if (s.clip) v = Math.min(Math.max(v, lo), hi)
            next[r * n + j] = v
          }
        }
      }
      out = next
    }
    return out
  }

  run(x: Float64Array, rows: number, roles: ReadonlySet<OutputRole>, float32Input: boolean): NativeOutputs {
    return this.#inner.run(this.transform(x, rows, float32Input), rows, roles, float32Input)
  }

  /** The features before the steps that give `u` after them (used to build verification rows). */
  invert(u: Float64Array, rows: number): Float64Array {
    const n = this.nFeatures
    const out = new Float64Array(u)
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const s = this.steps[i]!
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < n; j++) {
          const at = r * n + j
          if (s.kind === 'standard') out[at] = out[at]! * (s.scale?.[j] ?? 1) + (s.mean?.[j] ?? 0)
          else out[at] = (out[at]! - s.min[j]!) / s.scale[j]!
        }
      }
    }
    return out
  }
}
