/**
 * How many bytes joblib reads after a NumpyArrayWrapper's BUILD, computed the way joblib and numpy
 * compute them, from a wrapper state that must look exactly like one joblib writes: an array of
 * plain numbers embedded in this same file. Anything else (other attributes such as a file name, a
 * subclass other than ndarray, a dtype whose flags or fields differ from its code) is refused,
 * because the scanner and joblib would then read the following bytes differently.
 */
import type { Value } from './pickle-values.js'
import { field, isGlobal } from './pickle-values.js'

export type JoblibArrayLayout = { kind: 'pickle' } | { kind: 'raw'; bytes: number; padded: boolean }

const WRAPPER_KEYS = new Set(['subclass', 'shape', 'order', 'dtype', 'allow_mmap', 'numpy_array_alignment_bytes'])
const ITEM_HAS_OBJECT = 0x01
const LIST_PICKLE = 0x02

/** The layout of the array that follows, or why the wrapper is refused (a phrase after "holds a joblib array"). */
export function joblibArrayBytes(state: Value): JoblibArrayLayout | string {
  if (state.k !== 'dict') return 'wrapper whose state is not a plain attribute dict'
  for (const [key] of state.entries) {
    if (key.k !== 'str' || !WRAPPER_KEYS.has(key.v)) {
      const name = key.k === 'str' ? `'${key.v}'` : 'a non-string key'
      return `wrapper with attribute ${name}, which joblib does not write; a wrapper may only describe an array embedded in this same file`
    }
  }
  const subclass = field(state, 'subclass')
  if (!subclass || !isGlobal(subclass) || subclass.full !== 'numpy.ndarray') {
    const got = subclass && isGlobal(subclass) ? subclass.full : 'something else'
    return `wrapper of ${got}; only numpy.ndarray arrays embedded in the file are read (numpy.memmap would map a file by name)`
  }
  const order = field(state, 'order')
  if (order?.k !== 'str' || (order.v !== 'C' && order.v !== 'F')) return "wrapper whose order is not 'C' or 'F'"
  const shape = field(state, 'shape')
  if (shape?.k !== 'tuple' || !shape.items.every((d) => d.k === 'int' && d.v >= 0)) return 'wrapper whose shape is not a tuple of non-negative integers'
  const dtype = field(state, 'dtype')
  if (!dtype) return 'wrapper without a dtype'
  const item = dtypeLayout(dtype, 0)
  if (typeof item === 'object') return `wrapper with ${item.refused}`
  if (item === OBJECT) return { kind: 'pickle' }
  const count = shape.items.reduce((n, d) => n * (d.k === 'int' ? d.v : 0), 1)
  const bytes = count * item
  if (!Number.isSafeInteger(bytes)) return `wrapper whose shape claims ${count} elements`
  const alignment = field(state, 'numpy_array_alignment_bytes')
  return { kind: 'raw', bytes, padded: alignment !== undefined && alignment.k !== 'none' }
}

const OBJECT = -1

/** Item size in bytes, OBJECT for an object dtype, or why the dtype is refused. */
function dtypeLayout(dtype: Value, depth: number): number | { refused: string } {
  const r = itemSize(dtype, depth)
  return typeof r === 'string' ? { refused: r } : r
}

function itemSize(dtype: Value, depth: number): number | string {
  if (depth > 8) return 'a dtype nested too deeply'
  if (dtype.k !== 'obj' || dtype.cls !== 'numpy.dtype' || dtype.args.k !== 'tuple') return 'a dtype that is not a numpy.dtype'
  const code = dtype.args.items[0]
  if (code?.k !== 'str') return 'a dtype without a type code'
  const m = /^([biufcmMSUVO?])(\d*)$/.exec(code.v)
  if (!m) return `a dtype of unknown type code '${code.v}'`
  const [, kind, digits] = m as unknown as [string, string, string]
  const st = dtype.state
  // numpy's dtype state: (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
  if (st?.k !== 'tuple' || st.items.length < 8) return `a dtype '${code.v}' without the state numpy writes`
  const [version, , subarray, names, fields, elsize, , flags] = st.items as Value[]
  if (version?.k !== 'int' || (version.v !== 3 && version.v !== 4)) return `a dtype '${code.v}' of an unknown state version`
  if (subarray?.k !== 'none') return `a subarray dtype '${code.v}'`
  if (flags?.k !== 'int') return `a dtype '${code.v}' without flags`
  if (kind === 'O') return digits === '' || digits === '8' || digits === '4' ? OBJECT : `a dtype of unknown type code '${code.v}'`
  // numpy takes hasobject from the flags, not from the code: a float dtype flagged as holding objects would be read as a nested pickle.
  if ((flags.v & (ITEM_HAS_OBJECT | LIST_PICKLE)) !== 0) return `a dtype '${code.v}' whose flags say it holds Python objects`
  if (kind === 'V') {
    if (names?.k === 'none' && fields?.k === 'none') return positive(elsize) ?? `a void dtype without a size`
    if (names?.k !== 'tuple' || fields?.k !== 'dict') return 'a structured dtype without names and fields'
    for (const [, f] of fields.entries) {
      const sub = f.k === 'tuple' ? f.items[0] : undefined
      if (!sub) return 'a structured dtype with an unreadable field'
      const size = itemSize(sub, depth + 1)
      if (typeof size === 'string') return size
      if (size === OBJECT) return 'a structured dtype with an object field'
    }
    return positive(elsize) ?? 'a structured dtype without a size'
  }
  if (kind === 'S' || kind === 'U') return positive(elsize) ?? `a string dtype '${code.v}' without a size`
  if (kind === '?') return 1
  if (kind === 'm' || kind === 'M') return 8
  const n = Number(digits)
  return [1, 2, 4, 8, 16].includes(n) ? n : `a dtype '${code.v}' of an unknown size`
}

function positive(v: Value | undefined): number | undefined {
  return v?.k === 'int' && v.v > 0 ? v.v : undefined
}
