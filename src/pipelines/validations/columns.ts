/**
 * Values an expression computes on, one typed array per column over all rows of a table: numbers
 * as Float64Array, bools as Uint8Array of 0/1, strings as UTF-8 byte ranges, each with an optional
 * per-row validity array (1 = present). Reading a field walks Arrow buffers directly, so no
 * per-row JS values are made.
 */
import * as arrow from 'apache-arrow'
import { isValidAt } from '../../data/arrow-data.js'
import { RuntimeFailure } from '../../errors.js'

export interface NumberColumn { type: 'number'; values: Float64Array; valid: Uint8Array | null }
export interface BoolColumn { type: 'bool'; values: Uint8Array; valid: Uint8Array | null }
/** Row i is `bytes[starts[i] .. ends[i])`. */
export interface StringColumn { type: 'string'; bytes: Uint8Array; starts: Int32Array; ends: Int32Array; valid: Uint8Array | null }
export type Column = NumberColumn | BoolColumn | StringColumn

/** Reads `name[indices…]` from `table` (e.g. `probs[1]`); a missing list element reads as null. */
export function readColumn(table: arrow.Table, name: string, indices: readonly number[], label: string): Column {
  const vector = table.getChild(name)
  if (vector === null) throw new RuntimeFailure(`the result has no column ${label} that the validation reads`, { field: label })
  const rows = table.numRows
  const chunks = vector.data.map((d) => decodeDictionary(locate(d, indices)))
  const leafType = chunks[0]?.data.type ?? valueType(leafOf(vector.type, indices.length))
  if (arrow.DataType.isBool(leafType)) return readBools(chunks, rows)
  if (arrow.DataType.isUtf8(leafType) || arrow.DataType.isLargeUtf8(leafType)) return readStrings(chunks, rows)
  if (arrow.DataType.isInt(leafType) || arrow.DataType.isFloat(leafType) || arrow.DataType.isTimestamp(leafType)) {
    return readNumbers(chunks, rows)
  }
  throw new RuntimeFailure(`column ${label} holds ${String(leafType)}, which validations cannot read`, { field: label })
}

/** For each row of one chunk: the index of its value in `data` (the leaf), and whether it is present. */
interface Located { data: arrow.Data; at: Int32Array; valid: Uint8Array | null; length: number; direct: boolean }

function locate(chunk: arrow.Data, indices: readonly number[]): Located {
  const n = chunk.length
  let data = chunk
  let at: Int32Array | null = null
  let valid: Uint8Array | null = validity(chunk, null, n)
  for (const index of indices) {
    const child = data.children[0]!
    const next = new Int32Array(n)
    const present = valid ?? new Uint8Array(n).fill(1)
    if (arrow.DataType.isFixedSizeList(data.type)) {
      const size = (data.type as arrow.FixedSizeList).listSize
      for (let i = 0; i < n; i++) next[i] = (at === null ? i : at[i]!) * size + index
    } else {
      const offsets = data.valueOffsets as Int32Array
      for (let i = 0; i < n; i++) {
        const p = at === null ? i : at[i]!
        const k = present[i] === 1 ? Number(offsets[p]!) + index : -1
        if (k >= 0 && k < Number(offsets[p + 1]!)) next[i] = k
        else present[i] = 0
      }
    }
    valid = validity(child, next, n, present)
    at = next
    data = child
  }
  return { data, at: at ?? identity(n), valid, length: n, direct: at === null }
}

/** Validity of the values at `at` (or 0..n-1) in `data`, combined with `base`; null when all present. */
function validity(data: arrow.Data, at: Int32Array | null, n: number, base?: Uint8Array): Uint8Array | null {
  if (data.nullCount === 0 && base === undefined) return null
  const out = base ?? new Uint8Array(n).fill(1)
  if (data.nullCount !== 0) {
    for (let i = 0; i < n; i++) if (out[i] === 1 && !isValidAt(data, at === null ? i : at[i]!)) out[i] = 0
  }
  return out
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n)
  for (let i = 0; i < n; i++) a[i] = i
  return a
}

/** A dictionary-encoded leaf (e.g. strings read from JSON) read through its dictionary. */
function decodeDictionary(c: Located): Located {
  if (!arrow.DataType.isDictionary(c.data.type)) return c
  const dictionary = c.data.dictionary!
  // Dictionaries grown by delta batches arrive in pieces; keys index their concatenation.
  const data = dictionary.data.length === 1 ? dictionary.data[0]! : arrow.vectorFromArray([...dictionary], dictionary.type).data[0]!
  const keys = c.data.values as ArrayLike<number | bigint>
  const at = new Int32Array(c.length)
  for (let i = 0; i < c.length; i++) at[i] = Number(keys[c.at[i]!]!)
  const valid = validity(data, at, c.length, c.valid ?? undefined)
  return { data, at, valid, length: c.length, direct: false }
}

function valueType(t: arrow.DataType): arrow.DataType {
  return arrow.DataType.isDictionary(t) ? (t as arrow.Dictionary).dictionary : t
}

function leafOf(type: arrow.DataType, depth: number): arrow.DataType {
  let t = type
  for (let k = 0; k < depth; k++) t = t.children[0]!.type
  return t
}

function mergeValidity(chunks: Located[], rows: number): Uint8Array | null {
  if (chunks.every((c) => c.valid === null)) return null
  const out = new Uint8Array(rows).fill(1)
  let base = 0
  for (const c of chunks) {
    if (c.valid !== null) out.set(c.valid, base)
    base += c.length
  }
  return out
}

function readNumbers(chunks: Located[], rows: number): NumberColumn {
  const valid = mergeValidity(chunks, rows)
  const only = chunks.length === 1 ? chunks[0]! : undefined
  if (only !== undefined && only.direct && only.data.values instanceof Float64Array) {
    // Arrow keeps numeric values sliced to the Data's offset: row i is values[i]. Shared, never written.
    return { type: 'number', values: only.data.values.subarray(0, rows), valid }
  }
  const out = new Float64Array(rows)
  let base = 0
  for (const { data, at, length } of chunks) {
    const v = data.values as ArrayLike<number | bigint>
    const half = arrow.DataType.isFloat(data.type) && (data.type as arrow.Float).precision === arrow.Precision.HALF
    if (half) {
      for (let i = 0; i < length; i++) out[base + i] = arrow.util.uint16ToFloat64(v[at[i]!] as number)
    } else if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
      // 64-bit integers compare at double precision; literals past 2^53 are refused by the parser.
      for (let i = 0; i < length; i++) out[base + i] = Number(v[at[i]!]!)
    } else {
      const nums = v as ArrayLike<number>
      for (let i = 0; i < length; i++) out[base + i] = nums[at[i]!]!
    }
    base += length
  }
  return { type: 'number', values: out, valid }
}

function readBools(chunks: Located[], rows: number): BoolColumn {
  const out = new Uint8Array(rows)
  let base = 0
  for (const { data, at, length } of chunks) {
    const bits = data.values as Uint8Array
    for (let i = 0; i < length; i++) {
      const k = data.offset + at[i]!
      out[base + i] = (bits[k >> 3]! >> (k & 7)) & 1
    }
    base += length
  }
  return { type: 'bool', values: out, valid: mergeValidity(chunks, rows) }
}

function readStrings(chunks: Located[], rows: number): StringColumn {
  const starts = new Int32Array(rows)
  const ends = new Int32Array(rows)
  const buffers = chunks.map((c) => c.data.values as Uint8Array)
  const distinct = [...new Set(buffers)]
  const bytes = distinct.length === 1 ? distinct[0]! : concat(distinct)
  const shift = new Map<Uint8Array, number>()
  let total = 0
  for (const b of distinct) { shift.set(b, distinct.length === 1 ? 0 : total); total += b.length }
  let base = 0
  for (const { data, at, length } of chunks) {
    const offsets = data.valueOffsets as ArrayLike<number | bigint>
    const s = shift.get(data.values as Uint8Array)!
    for (let i = 0; i < length; i++) {
      const p = at[i]!
      starts[base + i] = Number(offsets[p]!) + s
      ends[base + i] = Number(offsets[p + 1]!) + s
    }
    base += length
  }
  return { type: 'string', bytes, starts, ends, valid: mergeValidity(chunks, rows) }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}
