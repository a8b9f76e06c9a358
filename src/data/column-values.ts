/**
 * Arrow column → JS values, read straight from the buffers. Two spellings:
 * - `json`: JSON-safe. int64/uint64 as numbers when safe integers, else decimal strings;
 *   timestamps as ISO-8601; binary as base64; NaN/±Infinity as "NaN"/"Infinity"/"-Infinity";
 *   float32 as the exact float64 value of the float32.
 * - `js`: native. int64 as bigint, timestamps as Date, binary as Uint8Array (what DuckDB takes).
 */
import * as arrow from 'apache-arrow'
import { isValidAt } from './arrow-data.js'
import { arrowToJs } from './arrow-conform.js'

export type ValueMode = 'json' | 'js'

const { DataType } = arrow

/** All values of a column (every chunk), nulls as null. */
export function columnValues(column: arrow.Vector, mode: ValueMode): unknown[] {
  return chunkValues(column.data, mode)
}

/** All values of a column given as its chunks. */
export function chunkValues(chunks: readonly arrow.Data[], mode: ValueMode): unknown[] {
  if (chunks.length === 1) return dataValues(chunks[0]!, mode)
  const out: unknown[] = []
  for (const d of chunks) for (const v of dataValues(d, mode)) out.push(v)
  return out
}

/** A float as JSON has it: itself when finite, else "NaN", "Infinity" or "-Infinity". */
export function jsonFloat(x: number): number | string {
  if (Number.isFinite(x)) return x
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity'
}

function jsonInt64(b: bigint): number | string {
  const n = Number(b)
  return Number.isSafeInteger(n) ? n : b.toString()
}

const MS_DIVISOR: Record<number, number> = {
  [arrow.TimeUnit.SECOND]: 1 / 1000, [arrow.TimeUnit.MILLISECOND]: 1,
  [arrow.TimeUnit.MICROSECOND]: 1000, [arrow.TimeUnit.NANOSECOND]: 1000000,
}

function timestampValue(ms: number, mode: ValueMode): unknown {
  const d = new Date(ms)
  if (mode === 'js') return d
  return Number.isNaN(d.getTime()) ? ms : d.toISOString()
}

/** Values of one Data (its own slice), nulls as null. */
export function dataValues(data: arrow.Data, mode: ValueMode): unknown[] {
  const n = data.length
  const out = new Array<unknown>(n)
  const t = data.type
  const hasNulls = data.nullCount > 0
  const json = mode === 'json'
  if (DataType.isFloat(t)) {
    const v = data.values as Float32Array | Float64Array | Uint16Array
    const half = t.precision === arrow.Precision.HALF
    for (let i = 0; i < n; i++) {
      const x = half ? arrow.util.uint16ToFloat64(v[i]!) : v[i]!
      out[i] = json ? jsonFloat(x) : x
    }
  } else if (DataType.isInt(t)) {
    const v = data.values as ArrayLike<number | bigint>
    if (t.bitWidth === 64) for (let i = 0; i < n; i++) out[i] = json ? jsonInt64(v[i] as bigint) : v[i]
    else for (let i = 0; i < n; i++) out[i] = v[i]
  } else if (DataType.isBool(t)) {
    const bits = data.values as Uint8Array
    for (let i = 0; i < n; i++) {
      const k = data.offset + i
      out[i] = (bits[k >> 3]! & (1 << (k & 7))) !== 0
    }
  } else if (DataType.isTimestamp(t)) {
    const v = data.values as BigInt64Array
    const div = MS_DIVISOR[t.unit]!
    for (let i = 0; i < n; i++) out[i] = timestampValue(Math.floor(Number(v[i]!) / div), mode)
  } else if (DataType.isDate(t)) {
    const ms = arrowToJs(data) as (number | null)[]
    for (let i = 0; i < n; i++) out[i] = ms[i] === null ? null : timestampValue(ms[i]!, mode)
  } else if (DataType.isUtf8(t) || DataType.isBinary(t)) {
    const offsets = data.valueOffsets as Int32Array
    const bytes = data.values as Uint8Array
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const binary = DataType.isBinary(t)
    for (let i = 0; i < n; i++) {
      const a = offsets[i]!
      const b = offsets[i + 1]!
      out[i] = !binary ? buf.toString('utf8', a, b) : json ? buf.toString('base64', a, b) : bytes.slice(a, b)
    }
  } else if (DataType.isFixedSizeList(t)) {
    const size = t.listSize
    const items = dataValues(data.children[0]!, mode)
    for (let i = 0; i < n; i++) out[i] = items.slice(i * size, (i + 1) * size)
  } else if (DataType.isList(t)) {
    const offsets = data.valueOffsets as Int32Array
    const start = offsets[0]!
    const items = dataValues(data.children[0]!.slice(start, offsets[n]! - start), mode)
    for (let i = 0; i < n; i++) out[i] = items.slice(offsets[i]! - start, offsets[i + 1]! - start)
  } else if (DataType.isStruct(t)) {
    const names = t.children.map((f) => f.name)
    const kids = data.children.map((c) => dataValues(c, mode))
    for (let i = 0; i < n; i++) {
      const o: Record<string, unknown> = {}
      names.forEach((name, k) => { o[name] = kids[k]![i] })
      out[i] = o
    }
  } else {
    const plain = arrowToJs(data)
    for (let i = 0; i < n; i++) out[i] = json ? jsonSafe(plain[i]) : plain[i]
  }
  if (hasNulls) for (let i = 0; i < n; i++) if (!isValidAt(data, i)) out[i] = null
  return out
}

/** Any plain JS value (from a type without a direct reader) as JSON-safe data. */
function jsonSafe(v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (typeof v === 'number') return jsonFloat(v)
  if (typeof v === 'bigint') return jsonInt64(v)
  if (v instanceof Date) return v.toISOString()
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
  if (Array.isArray(v)) return v.map(jsonSafe)
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]))
  return v
}
