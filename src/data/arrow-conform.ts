/**
 * An Arrow table (in process, or read from IPC bytes) → a table of exactly the schema's fields and
 * types. A column whose type already matches is re-labelled, not copied (O(1) per column and
 * batch, plus its null count). A column of another but safely castable type is cast columnar; a
 * lossy cast (string → number, float → int) is refused.
 */
import * as arrow from 'apache-arrow'
import { type FieldType, type ListType, type ModelSchema, isListType, isStructType, toArrowSchema, toArrowType, typeLabel } from './schema.js'
import { type BuildContext, buildColumn } from './column-builder.js'
import { ValueError, badValue } from './input-error.js'
import { checkFieldNames, noRows } from './json-input.js'
import { makeAnyData } from './arrow-data.js'
import { NUMERIC_CODECS, type NumericType, float64ToHalf, isNumericType } from './scalar-codecs.js'

const { DataType } = arrow

export function conformTable(table: arrow.Table, schema: ModelSchema, nullsAllowed: boolean): arrow.Table {
  if (table.numRows === 0) throw noRows()
  const names = table.schema.fields.map((f) => f.name)
  checkFieldNames(names, schema)
  const arrowSchema = arrowSchemaOf(schema)
  if (sameSchema(table.schema, arrowSchema) && !anyRefusedNull(table, schema, nullsAllowed)) return table
  const source = schema.map((f) => names.indexOf(f.name))
  const structType = new arrow.Struct(arrowSchema.fields)
  const batches: arrow.RecordBatch[] = []
  let base = 0
  for (const batch of table.batches) {
    const length = batch.numRows
    if (length === 0) continue
    const offset = base
    const children = schema.map((f, c) => {
      const ctx = { field: f.name, nullsAllowed, allowNull: nullsAllowed && f.nullable, rowOf: (i: number) => offset + i }
      // An optional field left out: all nulls, refused like any null where nulls may not be.
      if (source[c]! < 0) return buildColumn(new Array<unknown>(length).fill(null), f.type, ctx)
      return conformData(batch.data.children[source[c]!]!, f.type, ctx, arrowSchema.fields[c]!.type)
    })
    batches.push(new arrow.RecordBatch(arrowSchema, makeAnyData({ type: structType, length, nullCount: 0, children }) as arrow.Data<arrow.Struct>))
    base += length
  }
  return new arrow.Table(arrowSchema, batches)
}

const ARROW_SCHEMAS = new WeakMap<ModelSchema, arrow.Schema>()

/** Schema pairs found equal, so that a door's schema object and the session's are compared field by field once. */
const EQUAL_SCHEMAS = new WeakMap<arrow.Schema, WeakSet<arrow.Schema>>()

function sameSchema(a: arrow.Schema, b: arrow.Schema): boolean {
  if (a === b || EQUAL_SCHEMAS.get(a)?.has(b)) return true
  if (!arrow.util.compareSchemas(a, b)) return false
  let known = EQUAL_SCHEMAS.get(a)
  if (!known) EQUAL_SCHEMAS.set(a, (known = new WeakSet()))
  known.add(b)
  return true
}

function arrowSchemaOf(schema: ModelSchema): arrow.Schema {
  let s = ARROW_SCHEMAS.get(schema)
  if (s === undefined) ARROW_SCHEMAS.set(schema, (s = toArrowSchema(schema)))
  return s
}

/** For a table already shaped exactly like the schema: is there a null the rules may refuse? */
function anyRefusedNull(table: arrow.Table, schema: ModelSchema, nullsAllowed: boolean): boolean {
  return table.batches.some((b) => schema.some((f, c) =>
    mayHoldRefusedNull(b.data.children[c]!, f.type, nullsAllowed && f.nullable, nullsAllowed)))
}

/** One column's Data → Data of exactly `to`, validated against the context's null rule. */
export function conformData(data: arrow.Data, to: FieldType, ctx: BuildContext, target?: arrow.DataType): arrow.Data {
  if (matches(data.type, to)) {
    // Nulls where none may be: take the slow path, which names the exact row (or finds only
    // placeholder slots under null parents and rebuilds the column).
    if (mayHoldRefusedNull(data, to, ctx.allowNull, ctx.nullsAllowed)) return buildColumn(arrowToJs(data), to, ctx)
    return retype(data, target ?? toArrowType(to))
  }
  if (!castable(data.type, to)) {
    throw badValue(ctx.field, ctx.rowOf(0), typeLabel(to), `an Arrow column of type ${String(data.type)}`,
      `converting ${String(data.type)} to ${typeLabel(to)} would lose data; convert it before sending`)
  }
  if (data.nullCount > 0 && !ctx.allowNull) return buildColumn(arrowToJs(data), to, ctx)
  if (isNumericType(to) && (DataType.isInt(data.type) || DataType.isFloat(data.type))) return castNumeric(data, to, ctx)
  if (to === 'timestamp[ms]' && (DataType.isTimestamp(data.type) || DataType.isDate(data.type))) return castTimestamp(data, ctx)
  if (isListType(to)) return castList(data, to, ctx)
  if (isStructType(to) && DataType.isStruct(data.type)) {
    // Under a null struct row a non-nullable child may hold a null slot; only the slow path tells them apart.
    if (data.nullCount > 0 && mayHoldRefusedNull(data, to, true, ctx.nullsAllowed)) return buildColumn(arrowToJs(data), to, ctx)
    return castStruct(data, to.struct, ctx)
  }
  return buildColumn(arrowToJs(data), to, ctx)
}

/** Same Arrow layout as the schema type (child field names and nullability may differ). */
function matches(t: arrow.DataType, to: FieldType): boolean {
  if (typeof to === 'string') {
    switch (to) {
      case 'bool': return DataType.isBool(t)
      case 'float16': case 'float32': case 'float64': {
        const p = { float16: arrow.Precision.HALF, float32: arrow.Precision.SINGLE, float64: arrow.Precision.DOUBLE }[to]
        return DataType.isFloat(t) && t.precision === p
      }
      case 'string': return DataType.isUtf8(t)
      case 'binary': return DataType.isBinary(t)
      case 'timestamp[ms]': return DataType.isTimestamp(t) && t.unit === arrow.TimeUnit.MILLISECOND
      default: {
        const signed = to.startsWith('int')
        const bits = Number(to.replace(/^u?int/, ''))
        return DataType.isInt(t) && t.isSigned === signed && t.bitWidth === bits
      }
    }
  }
  if (isListType(to)) {
    const okKind = to.size === null ? DataType.isList(t) : DataType.isFixedSizeList(t) && t.listSize === to.size
    return okKind && matches(t.children[0]!.type, to.list)
  }
  if (!DataType.isStruct(t) || t.children.length !== to.struct.length) return false
  return to.struct.every((f, k) => t.children[k]!.name === f.name && matches(t.children[k]!.type, f.type))
}

function mayHoldRefusedNull(data: arrow.Data, to: FieldType, allowNull: boolean, nullsAllowed: boolean): boolean {
  if (!allowNull && data.nullCount > 0) return true
  if (isListType(to)) return mayHoldRefusedNull(data.children[0]!, to.list, allowNull, nullsAllowed)
  if (isStructType(to)) {
    return to.struct.some((f, k) => mayHoldRefusedNull(data.children[k]!, f.type, nullsAllowed && f.nullable, nullsAllowed))
  }
  return false
}

function retype(data: arrow.Data, type: arrow.DataType): arrow.Data {
  const kids = type.children ?? []
  const children = kids.length === 0 ? data.children : data.children.map((c, k) => retype(c, kids[k]!.type))
  return data.clone(type, undefined, undefined, undefined, undefined, children)
}

function castable(from: arrow.DataType, to: FieldType): boolean {
  if (DataType.isNull(from)) return true
  if (DataType.isDictionary(from)) return castable(from.dictionary, to)
  if (typeof to === 'string') {
    switch (to) {
      case 'bool': return DataType.isBool(from)
      case 'string': return DataType.isUtf8(from) || DataType.isLargeUtf8(from) || DataType.isUtf8View(from)
      case 'binary': return DataType.isBinary(from) || DataType.isLargeBinary(from) || DataType.isFixedSizeBinary(from) || DataType.isBinaryView(from)
      case 'timestamp[ms]': return DataType.isTimestamp(from) || DataType.isDate(from)
      default: return DataType.isInt(from) || (to.startsWith('float') && DataType.isFloat(from))
    }
  }
  if (isListType(to)) {
    const isList = DataType.isList(from) || DataType.isFixedSizeList(from) || DataType.isLargeList(from)
    return isList && castable(from.children[0]!.type, to.list)
  }
  return DataType.isStruct(from)
}

function bitmapOf(data: arrow.Data): { nullCount: number; nullBitmap?: Uint8Array } {
  if (data.nullCount === 0 || data.nullBitmap === undefined) return { nullCount: 0 }
  return { nullCount: data.nullCount, nullBitmap: arrow.util.truncateBitmap(data.offset, data.length, data.nullBitmap) }
}

function validAt(bitmap: Uint8Array | undefined, i: number): boolean {
  return bitmap === undefined || (bitmap[i >> 3]! & (1 << (i & 7))) !== 0
}

function castNumeric(data: arrow.Data, to: NumericType, ctx: BuildContext): arrow.Data {
  const codec = NUMERIC_CODECS[to]
  const src = data.values as ArrayLike<number | bigint>
  const half = DataType.isFloat(data.type) && data.type.precision === arrow.Precision.HALF
  const exactCheck = DataType.isInt(data.type) && !codec.integer
  const n = data.length
  const out = new codec.ArrayType(n) as unknown as (number | bigint)[]
  const nulls = bitmapOf(data)
  for (let i = 0; i < n; i++) {
    if (!validAt(nulls.nullBitmap, i)) continue
    const v = half ? arrow.util.uint16ToFloat64(src[i] as number) : src[i]!
    try {
      const x = codec.convert(v)
      if (exactCheck && !exactlyRepresentable(v, to)) throw new ValueError(`${v}`, `not exactly representable as ${to}`)
      out[i] = x
    } catch (err) {
      if (err instanceof ValueError) throw badValue(ctx.field, ctx.rowOf(i), to, err.got, err.hint)
      throw err
    }
  }
  return makeAnyData({ type: toArrowType(to), length: n, data: out, ...nulls })
}

function exactlyRepresentable(v: number | bigint, to: NumericType): boolean {
  const n = Number(v)
  if (typeof v === 'bigint' && BigInt(n) !== v) return false
  if (to === 'float32') return Math.fround(n) === n
  if (to === 'float16') return arrow.util.uint16ToFloat64(float64ToHalf(n)) === n
  return true
}

const TO_MS: Record<number, [mul: bigint, div: bigint]> = {
  [arrow.TimeUnit.SECOND]: [1000n, 1n],
  [arrow.TimeUnit.MILLISECOND]: [1n, 1n],
  [arrow.TimeUnit.MICROSECOND]: [1n, 1000n],
  [arrow.TimeUnit.NANOSECOND]: [1n, 1000000n],
}

function castTimestamp(data: arrow.Data, ctx: BuildContext): arrow.Data {
  const t = data.type
  const [mul, div] = DataType.isTimestamp(t) ? TO_MS[t.unit]!
    : (t as arrow.Date_).unit === arrow.DateUnit.DAY ? [86400000n, 1n] : [1n, 1n]
  const src = data.values as ArrayLike<number | bigint>
  const n = data.length
  const out = new BigInt64Array(n)
  const nulls = bitmapOf(data)
  for (let i = 0; i < n; i++) {
    if (!validAt(nulls.nullBitmap, i)) continue
    const v = BigInt(src[i]!) * mul
    if (v % div !== 0n) {
      throw badValue(ctx.field, ctx.rowOf(i), 'timestamp[ms]', `${String(t)} value ${src[i]}`, 'sub-millisecond precision would be lost')
    }
    out[i] = v / div
  }
  return makeAnyData({ type: new arrow.TimestampMillisecond(), length: n, data: out, ...nulls })
}

function castList(data: arrow.Data, to: ListType, ctx: BuildContext): arrow.Data {
  const type = toArrowType(to)
  const n = data.length
  const child = data.children[0]!
  if (DataType.isFixedSizeList(data.type)) {
    const size = data.type.listSize
    if (to.size !== null && size !== to.size) {
      throw badValue(ctx.field, ctx.rowOf(0), `list of ${to.size} ${typeLabel(to.list)}`, `${size} values`)
    }
    const items = conformData(child, to.list, { ...ctx, rowOf: (k) => ctx.rowOf(Math.floor(k / size)) })
    if (to.size !== null) return makeAnyData({ type, length: n, child: items, ...bitmapOf(data) })
    const offsets = new Int32Array(n + 1)
    for (let i = 0; i <= n; i++) offsets[i] = i * size
    return makeAnyData({ type, length: n, valueOffsets: offsets, child: items, ...bitmapOf(data) })
  }
  // List or LargeList: offsets are relative to this slice but point into the whole child.
  const raw = data.valueOffsets as ArrayLike<number | bigint>
  const start = Number(raw[0]!)
  const offsets = new Int32Array(n + 1)
  for (let i = 0; i <= n; i++) offsets[i] = Number(raw[i]!) - start
  const rowOf = (k: number): number => ctx.rowOf(upperBound(offsets, k) - 1)
  if (to.size !== null) {
    const nulls = bitmapOf(data)
    if (nulls.nullCount > 0) return buildColumn(arrowToJs(data), to, ctx)
    for (let i = 0; i < n; i++) {
      const len = offsets[i + 1]! - offsets[i]!
      if (len !== to.size) throw badValue(ctx.field, ctx.rowOf(i), `list of ${to.size} ${typeLabel(to.list)}`, `${len} value${len === 1 ? '' : 's'}`)
    }
  }
  const items = conformData(child.slice(start, offsets[n]!), to.list, { ...ctx, rowOf })
  return to.size === null
    ? makeAnyData({ type, length: n, valueOffsets: offsets, child: items, ...bitmapOf(data) })
    : makeAnyData({ type, length: n, child: items, ...bitmapOf(data) })
}

function upperBound(a: Int32Array, x: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (a[mid]! <= x) lo = mid + 1
    else hi = mid
  }
  return lo
}

function castStruct(data: arrow.Data, fields: ModelSchema, ctx: BuildContext): arrow.Data {
  const kids = (data.type as arrow.Struct).children
  const label = typeLabel({ struct: fields })
  for (const k of kids) {
    if (!fields.some((f) => f.name === k.name)) {
      throw badValue(ctx.field, ctx.rowOf(0), label, `a struct with unknown field '${k.name}'`)
    }
  }
  const children = fields.map((f) => {
    const k = kids.findIndex((c) => c.name === f.name)
    if (k < 0) throw badValue(ctx.field, ctx.rowOf(0), label, `a struct without field '${f.name}'`)
    // Struct children are sliced with their parent, so their rows line up with ours.
    return conformData(data.children[k]!, f.type, {
      ...ctx, field: `${ctx.field}.${f.name}`, allowNull: ctx.nullsAllowed && f.nullable,
    })
  })
  return makeAnyData({ type: toArrowType({ struct: fields }), length: data.length, children, ...bitmapOf(data) })
}

/** Per-row JS values of a column (Arrow lists as arrays, structs as objects): the slow, exact path. */
export function arrowToJs(data: arrow.Data): unknown[] {
  const vector = arrow.makeVector(data)
  const out = new Array<unknown>(data.length)
  for (let i = 0; i < data.length; i++) out[i] = plain(vector.get(i))
  return out
}

function plain(v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (v instanceof arrow.Vector) return Array.from(v as Iterable<unknown>, plain)
  if (typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Date) && !ArrayBuffer.isView(v)
    && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    const o = (v as { toJSON(): Record<string, unknown> }).toJSON()
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, plain(x)]))
  }
  return v
}

