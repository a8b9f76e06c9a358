import { mulberry32 } from '../../data/seeded-random.js'
import type { TensorElementType } from '../../data/tensor.js'
import type { ClassLabel, NativeModel } from './native-model.js'
import type { OutputField } from './output-plan.js'
import { PreprocessedModel } from './preprocessed-model.js'
import type { ReferenceOutput } from './model-extraction.js'

export const VERIFY_ROWS = 256
/** Allowed difference for float outputs: relative, with the same floor near zero. */
export const VERIFY_TOLERANCE = 1e-6
const SEED = 20240607

const INT_RANGES: Partial<Record<TensorElementType, [number, number]>> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295],
}

/**
 * Rows that exercise the model: for trees, values on, just beside and around each feature's
 * split thresholds (and beyond the outermost); for linear models, normal values scaled so every
 * term matters, some of them large enough to saturate probabilities. Models that accept missing
 * values get rows with NaN features. Deterministic; representable in `element`.
 */
export function verificationBatch(model: NativeModel, rows: number, element: TensorElementType): Float64Array {
  const n = model.nFeatures
  const rand = mulberry32(SEED)
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
  const hints = model.featureHints()
  const u = new Float64Array(rows * n)
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      let v: number
      if ('scales' in hints) v = normal() * hints.scales[j]! * (r % 16 === 5 ? 12 : 1)
      else {
        const th = hints.thresholds[j]!
        if (th.length === 0) v = normal()
        else {
          const lo = th[0]!
          const hi = th[th.length - 1]!
          const spread = th.length > 1 ? (hi - lo) / th.length : Math.abs(lo) * 0.1 || 1
          const t = th[Math.floor(rand() * th.length)]!
          const ulp = Math.max(Math.abs(t) * 2 ** -23, 1e-30)
          const c = rand()
          v = c < 0.25 ? t : c < 0.35 ? t - ulp : c < 0.45 ? t + ulp : c < 0.5 ? (rand() < 0.5 ? lo : hi) + (rand() - 0.5) * 4 * spread : t + normal() * spread
        }
      }
      u[r * n + j] = v
    }
  }
  const x = model instanceof PreprocessedModel ? model.invert(u, rows) : u
  if (model.acceptsMissing) {
    for (let r = 0; r < rows; r++) {
      if (r % 8 !== 7 && r !== rows - 1) continue
      for (let j = 0; j < n; j++) if (r === rows - 1 || rand() < 0.3) x[r * n + j] = NaN
    }
  }
  const range = INT_RANGES[element]
  for (let i = 0; i < x.length; i++) {
    if (element === 'float32') x[i] = Math.fround(x[i]!)
    else if (range) x[i] = Math.min(range[1], Math.max(range[0], Math.round(Number.isFinite(x[i]!) ? x[i]! : 0)))
  }
  return x
}

export interface Verification {
  /** Largest absolute difference over float outputs (0 when they agree exactly). */
  maxAbsError: number
  /** Why the outputs differ beyond tolerance, or null. */
  failure: string | null
}

/** Compares the native outputs with the library's, field by field. */
export function compareOutputs(
  fields: readonly OutputField[], mine: ReadonlyMap<string, Float64Array | ClassLabel[]>, reference: Record<string, ReferenceOutput>, rows: number,
): Verification {
  let maxAbsError = 0
  let worst: { excess: number; text: string } | null = null
  for (const o of fields) {
    const name = o.field.name
    const ref = reference[name]
    const got = mine.get(name)!
    if (!ref) return { maxAbsError, failure: `the library gave no '${name}'` }
    const count = ref.shape.reduce((a, b) => a * b, 1)
    if (count !== rows * o.width || got.length !== count) {
      return { maxAbsError, failure: `'${name}' has shape [${ref.shape.join(', ')}] there, ${rows}×${o.width} here` }
    }
    const exact = o.role === 'predictions' && o.element !== 'float64' && o.element !== 'float32'
    for (let i = 0; i < count; i++) {
      const a = got[i]!
      const b = ref.values[i]!
      const row = Math.floor(i / o.width)
      if (typeof a !== 'number' || typeof b !== 'number' || exact) {
        if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) {
          return { maxAbsError, failure: `'${name}' is ${JSON.stringify(a)} instead of ${JSON.stringify(b)} at row ${row}` }
        }
        continue
      }
      if (Number.isNaN(a) && Number.isNaN(b)) continue
      const err = Math.abs(a - b)
      if (!(err <= maxAbsError)) maxAbsError = Number.isNaN(err) ? Infinity : err
      const excess = (Number.isNaN(err) ? Infinity : err) - VERIFY_TOLERANCE * Math.max(1, Math.abs(b))
      if (excess > 0 && (!worst || excess > worst.excess)) worst = { excess, text: `max error ${fmt(err)} at row ${row} of '${name}'` }
    }
  }
  return { maxAbsError, failure: worst?.text ?? null }
}

function fmt(v: number): string {
  return v === 0 ? '0' : v.toPrecision(3)
}
