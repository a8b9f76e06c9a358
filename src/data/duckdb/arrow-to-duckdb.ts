/**
 * Arrow tables → DuckDB tables, columnar: each 2,048-row window of a column's typed array is
 * copied into a data chunk's vector in one call (numbers, timestamps, fixed-size and variable
 * lists, structs); strings and blobs are assigned element by element from their bytes, without
 * JS strings. Dictionary and half-float columns are decoded first.
 */
import * as arrow from 'apache-arrow'
import duckdb from '@duckdb/node-bindings'
import type { DuckDBConnection } from '@duckdb/node-api'
import { sqlIdent } from './database.js'
import { fixedWidthOf } from './vector-to-arrow.js'

const { DataType } = arrow

/** The DuckDB column type for an Arrow type. */
export function duckTypeOf(t: arrow.DataType): string {
  if (DataType.isBool(t)) return 'BOOLEAN'
  if (DataType.isInt(t)) return `${t.isSigned ? '' : 'U'}${({ 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' } as Record<number, string>)[t.bitWidth]}`
  if (DataType.isFloat(t)) return t.precision === arrow.Precision.DOUBLE ? 'DOUBLE' : 'FLOAT'
  if (DataType.isUtf8(t) || DataType.isLargeUtf8(t)) return 'VARCHAR'
  if (DataType.isBinary(t) || DataType.isLargeBinary(t)) return 'BLOB'
  if (DataType.isTimestamp(t) || DataType.isDate(t)) return 'TIMESTAMP_MS'
  if (DataType.isFixedSizeList(t)) return `${duckTypeOf(t.children[0]!.type)}[${t.listSize}]`
  if (DataType.isList(t)) return `${duckTypeOf(t.children[0]!.type)}[]`
  if (DataType.isStruct(t)) return `STRUCT(${t.children.map((f) => `${sqlIdent(f.name)} ${duckTypeOf(f.type)}`).join(', ')})`
  if (DataType.isDictionary(t)) return duckTypeOf(t.dictionary)
  if (DataType.isNull(t)) return 'INTEGER'
  throw new Error(`Arrow type ${t} has no DuckDB column type`)
}

/** Bits [from, from + n) of an Arrow bitmap as their own bitmap starting at bit 0. */
function windowBits(bitmap: Uint8Array, from: number, n: number): Uint8Array {
  if (from % 8 === 0) return bitmap.subarray(from >> 3, (from >> 3) + Math.ceil(n / 8))
  const out = new Uint8Array(Math.ceil(n / 8))
  for (let i = 0; i < n; i++) {
    const k = from + i
    if (bitmap[k >> 3]! & (1 << (k & 7))) out[i >> 3]! |= 1 << (i & 7)
  }
  return out
}

function copy(vector: duckdb.Vector, at: number, src: ArrayBufferView, byteFrom: number, bytes: number): void {
  if (bytes > 0) duckdb.copy_data_to_vector(vector, at, src.buffer as ArrayBuffer, src.byteOffset + byteFrom, bytes)
}

/** Rows [from, from + n) of `d` into `vector` starting at its row `at`. */
function fill(vector: duckdb.Vector, d: arrow.Data, from: number, n: number, at = 0): void {
  if (d.nullCount > 0 && d.nullBitmap && d.nullBitmap.byteLength > 0) {
    duckdb.vector_ensure_validity_writable(vector)
    if (at % 8 === 0) {
      const bits = windowBits(d.nullBitmap, d.offset + from, n)
      duckdb.copy_data_to_vector_validity(vector, at >> 3, bits.buffer as ArrayBuffer, bits.byteOffset, bits.byteLength)
    } else {
      // Child rows of a list start anywhere: merge bit by bit into the vector's validity.
      const words = Math.ceil((at + n) / 64)
      const current = new Uint8Array(duckdb.vector_get_validity(vector, words * 8))
      for (let i = 0; i < n; i++) {
        const k = d.offset + from + i
        const j = at + i
        if (d.nullBitmap[k >> 3]! & (1 << (k & 7))) current[j >> 3]! |= 1 << (j & 7)
        else current[j >> 3]! &= ~(1 << (j & 7))
      }
      duckdb.copy_data_to_vector_validity(vector, 0, current.buffer, current.byteOffset, current.byteLength)
    }
  }
  const t = d.type
  if (DataType.isInt(t) || (DataType.isFloat(t) && t.precision !== arrow.Precision.HALF) || (DataType.isTimestamp(t) && t.unit === arrow.TimeUnit.MILLISECOND)) {
    const v = d.values as ArrayBufferView & { BYTES_PER_ELEMENT: number }
    const w = v.BYTES_PER_ELEMENT * d.stride
    return copy(vector, at * w, v, from * w, n * w)
  }
  if (DataType.isFloat(t)) {
    const f = Float32Array.from((d.values as Uint16Array).subarray(from, from + n), (h) => arrow.util.uint16ToFloat64(h))
    return copy(vector, at * 4, f, 0, f.byteLength)
  }
  if (DataType.isTimestamp(t) || DataType.isDate(t)) {
    const ms = new BigInt64Array(n)
    const vec = arrow.makeVector(d)
    for (let i = 0; i < n; i++) {
      const v = vec.get(from + i) as number | Date | null
      ms[i] = v === null ? 0n : BigInt(Math.floor(typeof v === 'number' ? v : v.getTime()))
    }
    return copy(vector, at * 8, ms, 0, ms.byteLength)
  }
  if (DataType.isBool(t)) {
    const bytes = new Uint8Array(n)
    const bits = d.values as Uint8Array
    for (let i = 0; i < n; i++) {
      const k = d.offset + from + i
      bytes[i] = (bits[k >> 3]! >> (k & 7)) & 1
    }
    return copy(vector, at, bytes, 0, n)
  }
  if (DataType.isUtf8(t) || DataType.isBinary(t) || DataType.isLargeUtf8(t) || DataType.isLargeBinary(t)) {
    const offsets = d.valueOffsets as Int32Array | BigInt64Array
    const values = d.values as Uint8Array
    for (let i = 0; i < n; i++) {
      const s = Number(offsets[from + i]!)
      duckdb.vector_assign_string_element_len(vector, at + i, values.subarray(s, Number(offsets[from + i + 1]!)))
    }
    return
  }
  if (DataType.isFixedSizeList(t)) {
    const size = t.listSize
    return fill(duckdb.array_vector_get_child(vector), d.children[0]!, from * size, n * size, at * size)
  }
  if (DataType.isList(t)) {
    const offsets = d.valueOffsets as Int32Array
    const start = offsets[from]!
    const count = offsets[from + n]! - start
    const base = duckdb.list_vector_get_size(vector)
    duckdb.list_vector_reserve(vector, base + count)
    const entries = new BigUint64Array(2 * n)
    for (let i = 0; i < n; i++) {
      entries[2 * i] = BigInt(base + offsets[from + i]! - start)
      entries[2 * i + 1] = BigInt(offsets[from + i + 1]! - offsets[from + i]!)
    }
    copy(vector, at * 16, entries, 0, entries.byteLength)
    if (count > 0) fill(duckdb.list_vector_get_child(vector), d.children[0]!, start, count, base)
    duckdb.list_vector_set_size(vector, base + count)
    return
  }
  if (DataType.isStruct(t)) {
    t.children.forEach((_, k) => fill(duckdb.struct_vector_get_child(vector, k), d.children[k]!, from, n, at))
    return
  }
  if (DataType.isNull(t)) {
    duckdb.vector_ensure_validity_writable(vector)
    const zero = new Uint8Array(Math.ceil(n / 8))
    duckdb.copy_data_to_vector_validity(vector, at >> 3, zero.buffer, 0, zero.byteLength)
    return
  }
  throw new Error(`Arrow type ${t} cannot be written to DuckDB`)
}

/** Dictionary columns decoded to their values (DuckDB takes the plain type). */
function plainColumn(column: arrow.Vector): readonly arrow.Data[] {
  if (!DataType.isDictionary(column.type)) return column.data
  const values = Array.from(column.toArray() as ArrayLike<unknown>)
  return [arrow.vectorFromArray(values, (column.type as arrow.Dictionary).dictionary).data[0]!]
}

/** Creates TEMP table `name` shaped like `table` on `c` and appends all its rows. */
export async function createTableFromArrow(c: DuckDBConnection, name: string, table: arrow.Table | { schema: arrow.Schema; batches: readonly arrow.RecordBatch[] }): Promise<void> {
  const fields = table.schema.fields
  await c.run(`CREATE OR REPLACE TEMP TABLE ${sqlIdent(name)} (${fields.map((f) => `${sqlIdent(f.name)} ${duckTypeOf(f.type)}`).join(', ')})`)
  await appendArrow(c, name, table.batches)
}

/** Appends record batches to an existing table whose columns match them in order. */
export async function appendArrow(c: DuckDBConnection, name: string, batches: readonly arrow.RecordBatch[]): Promise<void> {
  if (batches.length === 0) return
  const appender = await c.createAppender(name)
  try {
    const types = Array.from({ length: appender.columnCount }, (_, k) => appender.columnType(k))
    const logical = types.map((t) => t.toLogicalType().logical_type as duckdb.LogicalType)
    const size = duckdb.vector_size()
    // The appender copies each chunk, so one chunk serves every window when no column has a
    // child vector (list sizes accumulate in a chunk; those get a fresh chunk per window).
    const reusable = logical.every((t) => fixedWidthOf(t) > 0)
    let chunk = reusable ? duckdb.create_data_chunk(logical) : null
    for (const batch of batches) {
      const columns = batch.schema.fields.map((_, k) => plainColumn(batch.getChildAt(k)!)[0]!)
      for (let from = 0; from < batch.numRows; from += size) {
        const n = Math.min(size, batch.numRows - from)
        if (reusable) duckdb.data_chunk_reset(chunk!)
        else chunk = duckdb.create_data_chunk(logical)
        columns.forEach((d, k) => fill(duckdb.data_chunk_get_vector(chunk!, k), d, from, n))
        duckdb.data_chunk_set_size(chunk!, n)
        appender.appendDataChunk({ chunk } as never)
      }
    }
    appender.flushSync()
  } finally {
    appender.closeSync()
  }
}
