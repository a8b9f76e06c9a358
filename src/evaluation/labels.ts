/**
 * Class labels as scikit-learn sees them: numbers or strings, never mixed, sorted as
 * `np.unique` sorts them. Rows are turned into integer codes once so that every metric counts
 * over typed arrays.
 */
import { InvalidInput } from '../errors.js'

export type Labels = { kind: 'number'; values: Float64Array } | { kind: 'string'; values: readonly string[] }
export type Label = number | string

export interface Encoded {
  /** The sorted union of the labels seen. */
  classes: Label[]
  /** Per input array, each row's index into `classes`. */
  codes: Int32Array[]
}

/** Encodes several label arrays over their sorted union (as `sklearn.utils.multiclass.unique_labels`). */
export function encodeLabels(arrays: readonly Labels[], what: readonly string[]): Encoded {
  const kinds = new Set(arrays.map((a) => a.kind))
  if (kinds.size > 1) {
    const desc = arrays.map((a, k) => `${what[k]} holds ${a.kind}s`).join(', ')
    throw new InvalidInput(`labels mix numbers and strings (${desc}); the label column and the model's predictions must be of one kind`, {
      expected: 'labels of one kind', got: desc,
    })
  }
  const seen = new Set<Label>()
  for (const a of arrays) for (let i = 0; i < a.values.length; i++) seen.add(a.values[i]!)
  const classes = [...seen]
  if (arrays[0]?.kind === 'number') (classes as number[]).sort((x, y) => x - y)
  else (classes as string[]).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
  const index = new Map<Label, number>(classes.map((c, k) => [c, k]))
  const codes = arrays.map((a) => {
    const out = new Int32Array(a.values.length)
    for (let i = 0; i < out.length; i++) out[i] = index.get(a.values[i]!)!
    return out
  })
  return { classes, codes }
}

export function labelsLength(l: Labels): number {
  return l.values.length
}

/** The rows of `l` where `mask` is 1. */
export function selectLabels(l: Labels, mask: Uint8Array | null): Labels {
  if (mask === null) return l
  const n = countSet(mask)
  if (l.kind === 'number') {
    const out = new Float64Array(n)
    let j = 0
    for (let i = 0; i < mask.length; i++) if (mask[i]) out[j++] = l.values[i]!
    return { kind: 'number', values: out }
  }
  const out: string[] = new Array(n)
  let j = 0
  for (let i = 0; i < mask.length; i++) if (mask[i]) out[j++] = l.values[i]!
  return { kind: 'string', values: out }
}

export function countSet(mask: Uint8Array): number {
  let n = 0
  for (let i = 0; i < mask.length; i++) n += mask[i]!
  return n
}
