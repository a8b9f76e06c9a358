/**
 * Model input columns for a derived feature, built straight from Arrow buffers: features and
 * constants packed in order into a fixed-size numeric list (the array form), or one column per
 * model input field (the object form). A row whose inputs hold a null gets placeholder values
 * and is marked invalid, so the model runs once over every row and its output is masked after.
 */
import * as arrow from 'apache-arrow'
import { InvalidInput } from '../errors.js'
import { concatData } from '../data/arrow-concat.js'
import { isValidAt, makeAnyData } from '../data/arrow-data.js'
import { float64ToHalf, isNumericType } from '../data/scalar-codecs.js'
import { isListType, toArrowType, typeLabel, type FieldType } from '../data/schema.js'

/** An input as resolved by the caller: a column of the working table, or a constant. */
export type PackArg = { column: arrow.Vector; name: string } | { constant: number | boolean }

type Sink = { set(i: number, v: number | bigint | boolean): void; data: ArrayLike<unknown> }

/** Element width of a packable source column (1 for a scalar, N for a fixed-size list). */
function widthOf(t: arrow.DataType): number {
  return arrow.DataType.isFixedSizeList(t) ? t.listSize : 1
}

function sinkFor(elem: FieldType, n: number): Sink {
  switch (elem) {
    case 'int64': case 'uint64': {
      const data = elem === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n)
      const wrap = elem === 'int64' ? BigInt.asIntN : BigInt.asUintN
      return {
        data,
        set(i, v) {
          const x = Number(v)
          data[i] = typeof v === 'bigint' ? wrap(64, v) : Number.isFinite(x) ? wrap(64, BigInt(Math.trunc(x))) : 0n
        },
      }
    }
    case 'float16': {
      const data = new Uint16Array(n)
      return { data, set: (i, v) => { data[i] = float64ToHalf(Number(v)) } }
    }
    case 'bool': {
      const data = new Uint8Array(n)
      return { data, set: (i, v) => { data[i] = v ? 1 : 0 } }
    }
    default: {
      if (!isNumericType(elem)) throw new InvalidInput(`cannot pack values into ${typeLabel(elem)}`)
      const Ctor = (toArrowType(elem) as arrow.DataType).ArrayType as new (n: number) => Float64Array
      const data = new Ctor(n)
      return { data, set: (i, v) => { data[i] = Number(v) } }
    }
  }
}

/**
 * Reads one Data's values (row `r`, element `j` of its list) as numbers or bigints, straight from
 * the buffers. Floats of half precision are widened; bools read from their bits.
 */
function readerOf(d: arrow.Data): (r: number, j: number) => number | bigint | boolean {
  let leaf = d
  let width = 1
  if (arrow.DataType.isFixedSizeList(d.type)) {
    width = d.type.listSize
    leaf = d.children[0]!
  }
  const t = leaf.type
  if (arrow.DataType.isBool(t)) {
    const bits = leaf.values as Uint8Array
    return (r, j) => {
      const k = leaf.offset + r * width + j
      return (bits[k >> 3]! & (1 << (k & 7))) !== 0
    }
  }
  if (arrow.DataType.isFloat(t) && t.precision === arrow.Precision.HALF) {
    const v = leaf.values as Uint16Array
    return (r, j) => arrow.util.uint16ToFloat64(v[r * width + j]!)
  }
  if (arrow.DataType.isInt(t) || arrow.DataType.isFloat(t) || arrow.DataType.isTimestamp(t)) {
    const v = leaf.values as Float64Array
    return (r, j) => v[r * width + j]!
  }
  throw new InvalidInput(`an input of type ${String(d.type)} cannot be packed into a numeric model input`)
}

export interface PackedColumn {
  data: arrow.Data
  /** Rows whose inputs all hold values, as an Arrow validity bitmap; null when every row does. */
  valid: Uint8Array | null
}

/** Clears the bit of every row where `d` is null. */
function andValidity(valid: { bits: Uint8Array | null }, d: arrow.Data, base: number, rows: number): void {
  if (d.nullCount === 0) return
  valid.bits ??= new Uint8Array((rows + 7) >> 3).fill(0xff)
  for (let i = 0; i < d.length; i++) {
    if (!isValidAt(d, i)) valid.bits[(base + i) >> 3]! &= ~(1 << ((base + i) & 7))
  }
}

/** Packs `args` in order into a model field of type `target` (numeric scalar or fixed-size numeric list). */
export function packNumeric(args: PackArg[], target: FieldType, rows: number, path: string): PackedColumn {
  const list = isListType(target)
  const elem = list ? target.list : target
  const size = list ? target.size ?? 0 : 1
  let total = 0
  for (const a of args) total += 'constant' in a ? 1 : widthOf(a.column.type)
  if (total !== size) {
    throw new InvalidInput(`${path}: the model input takes ${size} values, the inputs give ${total}`, { field: path, expected: typeLabel(target), got: `${total} values` })
  }
  const sink = sinkFor(elem, rows * size)
  const valid = { bits: null as Uint8Array | null }
  let at = 0
  for (const a of args) {
    if ('constant' in a) {
      for (let r = 0; r < rows; r++) sink.set(r * size + at, a.constant)
      at += 1
      continue
    }
    const w = widthOf(a.column.type)
    let base = 0
    for (const d of a.column.data) {
      const read = readerOf(d)
      for (let r = 0; r < d.length; r++) {
        const o = (base + r) * size + at
        for (let j = 0; j < w; j++) sink.set(o + j, read(r, j))
      }
      andValidity(valid, d, base, rows)
      base += d.length
    }
    at += w
  }
  const type = toArrowType(target)
  const leaf = makeAnyData({
    type: list ? (type as arrow.FixedSizeList).children[0]!.type : type, length: rows * size, nullCount: 0,
    data: elem === 'bool' ? packBools(sink.data as Uint8Array) : sink.data,
  })
  const data = list ? makeAnyData({ type, length: rows, nullCount: 0, child: leaf }) : leaf
  return { data, valid: valid.bits }
}

function packBools(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array((bytes.length + 7) >> 3)
  for (let i = 0; i < bytes.length; i++) if (bytes[i]) out[i >> 3]! |= 1 << (i & 7)
  return out
}

/** Whether `t` can be filled by `packNumeric` (a numeric or bool scalar, or a fixed-size list of them). */
export function isPackable(t: FieldType): boolean {
  if (isNumericType(t) || t === 'bool') return true
  return isListType(t) && t.size !== null && (isNumericType(t.list) || t.list === 'bool')
}

/**
 * A column handed to the model as it is (strings, binaries, variable lists): one contiguous Data,
 * its null rows marked invalid and given a placeholder (empty) value, as the runtimes refuse nulls.
 */
export function passThrough(column: arrow.Vector, rows: number): PackedColumn {
  let data = concatData(column.type, column.data)
  if (data === null) throw new InvalidInput(`an input column of type ${String(column.type)} cannot be passed to a model`)
  const valid = { bits: null as Uint8Array | null }
  andValidity(valid, data, 0, rows)
  if (valid.bits !== null) data = withPlaceholders(data)
  return { data, valid: valid.bits }
}

const PLACEHOLDER = (t: arrow.DataType): unknown =>
  arrow.DataType.isUtf8(t) ? '' : arrow.DataType.isBinary(t) ? new Uint8Array(0) : arrow.DataType.isList(t) ? [] : 0

/** The rare slow path: a pass-through column with null rows rebuilt with placeholders in them. */
function withPlaceholders(d: arrow.Data): arrow.Data {
  const v = new arrow.Vector([d])
  const b = arrow.makeBuilder({ type: d.type, nullValues: [] })
  const fill = PLACEHOLDER(d.type)
  for (let i = 0; i < d.length; i++) b.append(isValidAt(d, i) ? v.get(i) : fill)
  return b.finish().flush()
}

/** AND of several row masks (null = all valid). */
export function andMasks(masks: (Uint8Array | null)[], rows: number): Uint8Array | null {
  let out: Uint8Array | null = null
  for (const m of masks) {
    if (m === null) continue
    if (out === null) out = m.slice()
    else for (let i = 0; i < out.length; i++) out[i]! &= m[i]!
  }
  if (out !== null && validCount(out, rows) === rows) return null
  return out
}

export function validCount(mask: Uint8Array | null, rows: number): number {
  if (mask === null) return rows
  let n = 0
  for (let i = 0; i < rows; i++) if (mask[i >> 3]! & (1 << (i & 7))) n++
  return n
}

/** `d` with the rows cleared in `mask` made null (its own nulls kept). */
export function maskData(d: arrow.Data, mask: Uint8Array | null): arrow.Data {
  if (mask === null) return d
  const rows = d.length
  const bits = new Uint8Array((d.offset + rows + 7) >> 3)
  let nulls = 0
  for (let i = 0; i < rows; i++) {
    const k = d.offset + i
    if ((mask[i >> 3]! & (1 << (i & 7))) !== 0 && isValidAt(d, i)) bits[k >> 3]! |= 1 << (k & 7)
    else nulls++
  }
  return d.clone(d.type, d.offset, rows, nulls, [d.valueOffsets, d.values, bits, d.typeIds] as never, d.children)
}

/** A column of `rows` nulls of `type`. */
export function nullColumn(type: FieldType, rows: number): arrow.Vector {
  const b = arrow.makeBuilder({ type: toArrowType(type), nullValues: [null] })
  for (let i = 0; i < rows; i++) b.append(null)
  return b.finish().toVector()
}
