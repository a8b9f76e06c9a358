/**
 * DuckDB vectors → Arrow `Data`, columnar: each vector's buffer is copied once into a typed array
 * (numbers, timestamps, fixed-size and variable lists, structs, strings and blobs). Types SPEC §3
 * has no Arrow twin for (DECIMAL, HUGEINT, …) are cast by the query (`castForArrow`), never read
 * value by value.
 */
import * as arrow from 'apache-arrow'
import duckdb from '@duckdb/node-bindings'
import { InvalidInput } from '../../errors.js'
import { makeAnyData } from '../arrow-data.js'
import { concatData } from '../arrow-concat.js'

const T = duckdb.Type

type TypedCtor = { new (buffer: ArrayBufferLike, offset: number, length: number): ArrayLike<number | bigint>; BYTES_PER_ELEMENT: number }

const FIXED: Partial<Record<duckdb.Type, [() => arrow.DataType, TypedCtor]>> = {
  [T.TINYINT]: [() => new arrow.Int8(), Int8Array],
  [T.SMALLINT]: [() => new arrow.Int16(), Int16Array],
  [T.INTEGER]: [() => new arrow.Int32(), Int32Array],
  [T.BIGINT]: [() => new arrow.Int64(), BigInt64Array],
  [T.UTINYINT]: [() => new arrow.Uint8(), Uint8Array],
  [T.USMALLINT]: [() => new arrow.Uint16(), Uint16Array],
  [T.UINTEGER]: [() => new arrow.Uint32(), Uint32Array],
  [T.UBIGINT]: [() => new arrow.Uint64(), BigUint64Array],
  [T.FLOAT]: [() => new arrow.Float32(), Float32Array],
  [T.DOUBLE]: [() => new arrow.Float64(), Float64Array],
  [T.TIMESTAMP_MS]: [() => new arrow.TimestampMillisecond(), BigInt64Array],
}

/** Bytes per value of a type whose DuckDB vector has Arrow's layout (copied as is); 0 for others. */
export function fixedWidthOf(type: duckdb.LogicalType): number {
  return FIXED[duckdb.get_type_id(type)]?.[1].BYTES_PER_ELEMENT ?? 0
}

/** Divisor (or multiplier, for dates) that turns a DuckDB time type's unit into milliseconds. */
const TO_MS: Partial<Record<duckdb.Type, bigint>> = {
  [T.TIMESTAMP]: 1000n, [T.TIMESTAMP_TZ]: 1000n, [T.TIMESTAMP_NS]: 1_000_000n,
}

/** The Arrow type a DuckDB logical type is read as; null when it has none (the query must cast it). */
export function arrowTypeOf(type: duckdb.LogicalType): arrow.DataType | null {
  const id = duckdb.get_type_id(type)
  const fixed = FIXED[id]
  if (fixed) return fixed[0]()
  switch (id) {
    case T.BOOLEAN: return new arrow.Bool()
    case T.TIMESTAMP: case T.TIMESTAMP_TZ: case T.TIMESTAMP_NS: case T.TIMESTAMP_S: case T.DATE:
      return new arrow.TimestampMillisecond()
    case T.VARCHAR: return new arrow.Utf8()
    case T.BLOB: return new arrow.Binary()
    case T.ARRAY: {
      const child = arrowTypeOf(duckdb.array_type_child_type(type))
      return child && new arrow.FixedSizeList(duckdb.array_type_array_size(type), new arrow.Field('item', child, true))
    }
    case T.LIST: {
      const child = arrowTypeOf(duckdb.list_type_child_type(type))
      return child && new arrow.List(new arrow.Field('item', child, true))
    }
    case T.STRUCT: {
      const fields: arrow.Field[] = []
      for (let k = 0; k < duckdb.struct_type_child_count(type); k++) {
        const child = arrowTypeOf(duckdb.struct_type_child_type(type, k))
        if (!child) return null
        fields.push(new arrow.Field(duckdb.struct_type_child_name(type, k), child, true))
      }
      return new arrow.Struct(fields)
    }
  }
  return null
}

/** Validity of `n` rows as an Arrow bitmap (same bit order as DuckDB's), with its null count. */
function validityOf(vector: duckdb.Vector, n: number): { nullBitmap?: Uint8Array; nullCount: number } {
  const words = Math.ceil(n / 64)
  const raw = duckdb.vector_get_validity(vector, words * 8) as Uint8Array | null | undefined
  if (!raw || raw.byteLength === 0) return { nullCount: 0 }
  const bytes = Math.ceil(n / 8)
  const bitmap = new Uint8Array(bytes)
  bitmap.set(raw.subarray(0, bytes))
  if (n % 8 !== 0) bitmap[bytes - 1]! &= (1 << (n % 8)) - 1
  let valid = 0
  for (let i = 0; i < bytes; i++) valid += POPCOUNT[bitmap[i]!]!
  const nullCount = n - valid
  return nullCount === 0 ? { nullCount: 0 } : { nullBitmap: bitmap, nullCount }
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let c = 0
  for (let x = b; x > 0; x >>= 1) c += x & 1
  return c
})

function typed<C extends TypedCtor>(ctor: C, vector: duckdb.Vector, n: number): InstanceType<C> {
  const bytes = duckdb.vector_get_data(vector, n * ctor.BYTES_PER_ELEMENT)
  if (bytes.byteOffset % ctor.BYTES_PER_ELEMENT === 0) return new ctor(bytes.buffer, bytes.byteOffset, n) as InstanceType<C>
  const copy = bytes.slice()
  return new ctor(copy.buffer, 0, n) as InstanceType<C>
}

/** `n` rows of a vector as Arrow Data of `type` (from `arrowTypeOf` of the vector's logical type). */
export function vectorToData(vector: duckdb.Vector, logical: duckdb.LogicalType, type: arrow.DataType, n: number): arrow.Data {
  const id = duckdb.get_type_id(logical)
  const base = { type, length: n, ...validityOf(vector, n) }
  const fixed = FIXED[id]
  if (fixed) return makeAnyData({ ...base, data: typed(fixed[1], vector, n) })
  switch (id) {
    case T.BOOLEAN: {
      const bytes = duckdb.vector_get_data(vector, n)
      const bits = new Uint8Array(Math.ceil(n / 8))
      for (let i = 0; i < n; i++) if (bytes[i]) bits[i >> 3]! |= 1 << (i & 7)
      return makeAnyData({ ...base, data: bits })
    }
    case T.TIMESTAMP: case T.TIMESTAMP_TZ: case T.TIMESTAMP_NS: {
      const src = typed(BigInt64Array, vector, n)
      const div = TO_MS[id]!
      const out = new BigInt64Array(n)
      for (let i = 0; i < n; i++) {
        const v = src[i]!
        const q = v / div
        out[i] = v < 0n && q * div !== v ? q - 1n : q
      }
      return makeAnyData({ ...base, data: out })
    }
    case T.TIMESTAMP_S: {
      const src = typed(BigInt64Array, vector, n)
      return makeAnyData({ ...base, data: BigInt64Array.from(src, (v) => v * 1000n) })
    }
    case T.DATE: {
      const src = typed(Int32Array, vector, n)
      return makeAnyData({ ...base, data: BigInt64Array.from(src, (d) => BigInt(d) * 86_400_000n) })
    }
    case T.VARCHAR: case T.BLOB: return stringData(vector, base, n)
    case T.ARRAY: {
      const size = duckdb.array_type_array_size(logical)
      const childLogical = duckdb.array_type_child_type(logical)
      const childType = (type as arrow.FixedSizeList).children[0]!.type
      const child = vectorToData(duckdb.array_vector_get_child(vector), childLogical, childType, n * size)
      return makeAnyData({ ...base, child })
    }
    case T.LIST: return listData(vector, logical, type as arrow.List, base, n)
    case T.STRUCT: {
      const fields = (type as arrow.Struct).children
      const children = fields.map((f, k) =>
        vectorToData(duckdb.struct_vector_get_child(vector, k), duckdb.struct_type_child_type(logical, k), f.type, n))
      return makeAnyData({ ...base, children })
    }
  }
  throw new InvalidInput(`DuckDB type ${id} has no Arrow reading`, { got: String(id) })
}

/** duckdb_string_t: 4 bytes of length, then 12 inline bytes, or a 4-byte prefix and a pointer. */
function stringData(vector: duckdb.Vector, base: Record<string, unknown>, n: number): arrow.Data {
  const raw = duckdb.vector_get_data(vector, n * 16)
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  const offsets = new Int32Array(n + 1)
  let total = 0
  // A null row's string_t is not written by DuckDB: its length and pointer are whatever was there.
  const valid = base.nullBitmap as Uint8Array | undefined
  for (let i = 0; i < n; i++) {
    if (!valid || valid[i >> 3]! & (1 << (i & 7))) total += view.getUint32(i * 16, true)
    offsets[i + 1] = total
  }
  const out = new Uint8Array(total)
  for (let i = 0; i < n; i++) {
    const len = offsets[i + 1]! - offsets[i]!
    if (len === 0) continue
    if (len <= 12) out.set(raw.subarray(i * 16 + 4, i * 16 + 4 + len), offsets[i]!)
    else out.set(duckdb.get_data_from_pointer(raw.buffer as ArrayBuffer, raw.byteOffset + i * 16 + 8, len), offsets[i]!)
  }
  return makeAnyData({ ...base, valueOffsets: offsets, data: out })
}

/** list_entry_t: uint64 offset and length per row into the list's one child vector. */
function listData(vector: duckdb.Vector, logical: duckdb.LogicalType, type: arrow.List, base: Record<string, unknown>, n: number): arrow.Data {
  const entries = typed(BigUint64Array, vector, n * 2)
  const childCount = duckdb.list_vector_get_size(vector)
  const childLogical = duckdb.list_type_child_type(logical)
  const childType = type.children[0]!.type
  const all = vectorToData(duckdb.list_vector_get_child(vector), childLogical, childType, childCount)
  const offsets = new Int32Array(n + 1)
  let contiguous = true
  let total = 0
  const valid = base.nullBitmap as Uint8Array | undefined
  const isValid = (i: number) => !valid || (valid[i >> 3]! & (1 << (i & 7))) !== 0
  // A null row's list entry is not written by DuckDB: it counts as empty.
  for (let i = 0; i < n; i++) {
    if (!isValid(i)) entries[2 * i + 1] = 0n
    if (Number(entries[2 * i]!) !== total && Number(entries[2 * i + 1]!) !== 0) contiguous = false
    total += Number(entries[2 * i + 1]!)
    offsets[i + 1] = total
  }
  if (contiguous) return makeAnyData({ ...base, valueOffsets: offsets, child: all.slice(0, total) })
  // Rows out of order in the child vector: gather them into order, slice by slice.
  const parts: arrow.Data[] = []
  for (let i = 0; i < n; i++) {
    const len = Number(entries[2 * i + 1]!)
    if (len > 0) parts.push(all.slice(Number(entries[2 * i]!), len))
  }
  const child = parts.length === 0 ? all.slice(0, 0) : concatData(childType, parts)
  if (!child) throw new InvalidInput(`a list of ${childType} cannot be read out of order`, { got: String(childType) })
  return makeAnyData({ ...base, valueOffsets: offsets, child })
}
