/**
 * JS values of one column (from JSON, CSV, Parquet or a lossless Arrow cast) → Arrow `Data` of
 * exactly the schema type, validating every value. Numeric columns and fixed-size numeric lists
 * are written straight into one typed array; nothing goes through per-row Arrow builders.
 */
import * as arrow from 'apache-arrow'
import { type FieldType, type ListType, type StructType, isListType, toArrowType, typeLabel } from './schema.js'
import { makeAnyData } from './arrow-data.js'
import { type RowOf, ValueError, badValue, describeValue, placeError } from './input-error.js'
import {
  type NumericType, NUMERIC_CODECS, convertBinary, convertBool, convertString, convertTimestampMs, isNumericType,
} from './scalar-codecs.js'

export interface BuildContext {
  /** Path of the column in messages: `features`, `point.x`. */
  readonly field: string
  readonly rowOf: RowOf
  /** False when the runtime refuses every null (native runtimes). */
  readonly nullsAllowed: boolean
  /** Whether a null is acceptable at this level (runtime allows nulls and the field is nullable). */
  readonly allowNull: boolean
}

/** A slot under a null parent (a null fixed-size-list row, a null struct): stored null, never refused. */
export const FILL: unique symbol = Symbol('fill')

const makeData = makeAnyData

class Validity {
  #bits: Uint8Array | null = null
  nulls = 0
  constructor(readonly length: number) {}
  setNull(i: number): void {
    if (this.#bits === null) this.#bits = new Uint8Array((this.length + 7) >> 3).fill(0xff)
    this.#bits[i >> 3]! &= ~(1 << (i & 7))
    this.nulls++
  }
  props(): { nullCount: number; nullBitmap?: Uint8Array } {
    return this.#bits === null ? { nullCount: 0 } : { nullCount: this.nulls, nullBitmap: this.#bits }
  }
}

function nullHint(ctx: BuildContext): string {
  return ctx.nullsAllowed ? 'the field is not nullable' : 'this runtime accepts no nulls'
}

/** True when `v` is a null the context accepts (or a FILL slot); throws for a refused null. */
function isNull(v: unknown, i: number, ctx: BuildContext, expected: string): boolean {
  if (v === FILL) return true
  if (v !== null && v !== undefined) return false
  if (!ctx.allowNull) throw badValue(ctx.field, ctx.rowOf(i), expected, 'null', nullHint(ctx))
  return true
}

function asList(v: unknown): ArrayLike<unknown> | null {
  if (Array.isArray(v)) return v
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as ArrayLike<unknown>
  return null
}

/** Builds one column; throws `InvalidInput` naming field, row, expected and got for the first bad value. */
export function buildColumn(values: ArrayLike<unknown>, type: FieldType, ctx: BuildContext): arrow.Data {
  if (isNumericType(type)) return buildNumeric(values, type, ctx)
  if (isListType(type)) {
    if (type.size !== null && isNumericType(type.list)) return buildFixedNumeric(values, type.size, type.list, ctx)
    return buildList(values, type, ctx)
  }
  if (typeof type === 'object') return buildStruct(values, type, ctx)
  switch (type) {
    case 'bool': return buildBool(values, ctx)
    case 'string': return buildBytes(values, ctx, 'string')
    case 'binary': return buildBytes(values, ctx, 'binary')
    case 'timestamp[ms]': return buildTimestamp(values, ctx)
  }
  throw new Error(`unhandled schema type ${typeLabel(type)}`)
}

function buildNumeric(values: ArrayLike<unknown>, t: NumericType, ctx: BuildContext): arrow.Data {
  const codec = NUMERIC_CODECS[t]
  const n = values.length
  const out = new codec.ArrayType(n) as unknown as (number | bigint)[]
  const valid = new Validity(n)
  const convert = codec.convert
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (isNull(v, i, ctx, t)) { valid.setNull(i); continue }
    try { out[i] = convert(v) } catch (err) { throw placeError(err, ctx.field, ctx.rowOf(i), t) }
  }
  return makeData({ type: toArrowType(t), length: n, data: out, ...valid.props() })
}

function buildFixedNumeric(values: ArrayLike<unknown>, size: number, item: NumericType, ctx: BuildContext): arrow.Data {
  const codec = NUMERIC_CODECS[item]
  const n = values.length
  const expected = `list of ${size} ${item}`
  const out = new codec.ArrayType(n * size) as unknown as (number | bigint)[]
  const rowValid = new Validity(n)
  const itemValid = new Validity(n * size)
  const convert = codec.convert
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (isNull(v, i, ctx, expected)) { rowValid.setNull(i); continue }
    const list = asList(v)
    if (list === null) throw badValue(ctx.field, ctx.rowOf(i), expected, describeValue(v))
    if (list.length !== size) throw badValue(ctx.field, ctx.rowOf(i), expected, `${list.length} value${list.length === 1 ? '' : 's'}`)
    const base = i * size
    for (let j = 0; j < size; j++) {
      const x = list[j]
      if (x === null || x === undefined) {
        if (!ctx.allowNull) throw badValue(ctx.field, ctx.rowOf(i), expected, `null at position ${j}`, nullHint(ctx))
        itemValid.setNull(base + j)
        continue
      }
      if (asList(x) !== null) throw badValue(ctx.field, ctx.rowOf(i), expected, `a nested list at position ${j}`)
      try {
        out[base + j] = convert(x)
      } catch (err) {
        if (!(err instanceof ValueError)) throw err
        throw badValue(ctx.field, ctx.rowOf(i), expected, `${err.got} at position ${j}`, err.hint)
      }
    }
  }
  const type = toArrowType({ list: item, size }) as arrow.FixedSizeList
  const child = makeData({ type: type.children[0]!.type, length: n * size, data: out, ...itemValid.props() })
  return makeData({ type, length: n, child, ...rowValid.props() })
}

function buildList(values: ArrayLike<unknown>, t: ListType, ctx: BuildContext): arrow.Data {
  const n = values.length
  const label = typeLabel(t)
  const fixed = t.size
  const offsets = new Int32Array(n + 1)
  const valid = new Validity(n)
  const items: unknown[] = []
  const parents: number[] = []
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (isNull(v, i, ctx, label)) {
      valid.setNull(i)
      for (let j = 0; j < (fixed ?? 0); j++) { items.push(FILL); parents.push(i) }
    } else {
      const list = asList(v)
      if (list === null) throw badValue(ctx.field, ctx.rowOf(i), label, describeValue(v))
      if (fixed !== null && list.length !== fixed) {
        throw badValue(ctx.field, ctx.rowOf(i), `list of ${fixed} ${typeLabel(t.list)}`, `${list.length} value${list.length === 1 ? '' : 's'}`)
      }
      for (let j = 0; j < list.length; j++) { items.push(list[j]); parents.push(i) }
    }
    offsets[i + 1] = items.length
  }
  const child = buildColumn(items, t.list, { ...ctx, rowOf: (k) => ctx.rowOf(parents[k]!) })
  const type = toArrowType(t)
  return fixed === null
    ? makeData({ type, length: n, valueOffsets: offsets, child, ...valid.props() })
    : makeData({ type, length: n, child, ...valid.props() })
}

function buildStruct(values: ArrayLike<unknown>, t: StructType, ctx: BuildContext): arrow.Data {
  const n = values.length
  const label = typeLabel(t)
  const names = new Set(t.struct.map((f) => f.name))
  const columns = t.struct.map(() => new Array<unknown>(n))
  const valid = new Validity(n)
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (isNull(v, i, ctx, label)) {
      valid.setNull(i)
      for (const c of columns) c[i] = FILL
      continue
    }
    if (typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || v instanceof Date) {
      throw badValue(ctx.field, ctx.rowOf(i), label, describeValue(v))
    }
    const o = v as Record<string, unknown>
    for (const key of Object.keys(o)) {
      if (!names.has(key)) throw badValue(ctx.field, ctx.rowOf(i), label, `an object with unknown field '${key}'`)
    }
    t.struct.forEach((f, c) => { columns[c]![i] = o[f.name] })
  }
  const children = t.struct.map((f, c) => buildColumn(columns[c]!, f.type, {
    ...ctx, field: `${ctx.field}.${f.name}`, allowNull: ctx.nullsAllowed && f.nullable,
  }))
  return makeData({ type: toArrowType(t), length: n, children, ...valid.props() })
}

function buildBool(values: ArrayLike<unknown>, ctx: BuildContext): arrow.Data {
  const n = values.length
  const bits = new Uint8Array((n + 7) >> 3)
  const valid = new Validity(n)
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (isNull(v, i, ctx, 'bool')) { valid.setNull(i); continue }
    let b: boolean
    try { b = convertBool(v) } catch (err) { throw placeError(err, ctx.field, ctx.rowOf(i), 'bool') }
    if (b) bits[i >> 3]! |= 1 << (i & 7)
  }
  return makeData({ type: new arrow.Bool(), length: n, data: bits, ...valid.props() })
}

function buildBytes(values: ArrayLike<unknown>, ctx: BuildContext, kind: 'string' | 'binary'): arrow.Data {
  const n = values.length
  const offsets = new Int32Array(n + 1)
  const valid = new Validity(n)
  const parts: (string | Uint8Array | null)[] = new Array(n)
  let total = 0
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (isNull(v, i, ctx, kind)) {
      valid.setNull(i)
      parts[i] = null
    } else {
      try {
        const p = kind === 'string' ? convertString(v) : convertBinary(v)
        parts[i] = p
        total += typeof p === 'string' ? Buffer.byteLength(p, 'utf8') : p.length
      } catch (err) {
        throw placeError(err, ctx.field, ctx.rowOf(i), kind)
      }
    }
    offsets[i + 1] = total
  }
  if (total > 0x7fffffff) throw badValue(ctx.field, ctx.rowOf(0), kind, `${total} bytes in one column`, 'at most 2 GiB per column')
  const buf = Buffer.allocUnsafeSlow(total)
  for (let i = 0; i < n; i++) {
    const p = parts[i]
    if (typeof p === 'string') buf.write(p, offsets[i]!, 'utf8')
    else if (p !== null && p !== undefined) buf.set(p, offsets[i]!)
  }
  const data = new Uint8Array(buf.buffer, buf.byteOffset, total)
  const type = kind === 'string' ? new arrow.Utf8() : new arrow.Binary()
  return makeData({ type, length: n, valueOffsets: offsets, data, ...valid.props() })
}

function buildTimestamp(values: ArrayLike<unknown>, ctx: BuildContext): arrow.Data {
  const n = values.length
  const out = new BigInt64Array(n)
  const valid = new Validity(n)
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (isNull(v, i, ctx, 'timestamp[ms]')) { valid.setNull(i); continue }
    try { out[i] = convertTimestampMs(v) } catch (err) { throw placeError(err, ctx.field, ctx.rowOf(i), 'timestamp[ms]') }
  }
  return makeData({ type: new arrow.TimestampMillisecond(), length: n, data: out, ...valid.props() })
}
