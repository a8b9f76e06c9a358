/**
 * Where a result column's chunks go on their way to one record batch. A fixed-width column
 * (integers, floats, millisecond timestamps) is copied chunk by chunk straight into one typed
 * array preallocated for the whole batch, its validity bits beside it: one copy per value, no
 * per-chunk objects, nothing to join at the end. Other types become Arrow `Data` per chunk
 * (`vectorToData`) and are joined when the batch is complete.
 */
import * as arrow from 'apache-arrow'
import duckdb from '@duckdb/node-bindings'
import { concatData } from '../arrow-concat.js'
import { makeAnyData } from '../arrow-data.js'
import { fixedWidthOf, vectorToData } from './vector-to-arrow.js'

export interface ColumnSink {
  /** Appends `n` rows of `vector` at row `at` of the batch; returns the bytes they decode to. */
  append(vector: duckdb.Vector, n: number, at: number): number
  /** The batch's `length` rows as one Data; the sink starts a new batch of `capacity` rows. */
  take(length: number, capacity: number): arrow.Data
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let c = 0
  for (let x = b; x > 0; x >>= 1) c += x & 1
  return c
})

class FixedSink implements ColumnSink {
  #values: Uint8Array | undefined
  #validity: Uint8Array | undefined
  #nullCount = 0
  #capacity: number
  readonly #type: arrow.DataType
  readonly #width: number
  readonly #ctor: new (buffer: ArrayBuffer, offset: number, length: number) => ArrayBufferView

  constructor(type: arrow.DataType, width: number, capacity: number) {
    this.#type = type
    this.#width = width
    this.#ctor = type.ArrayType as never
    this.#capacity = capacity
  }

  append(vector: duckdb.Vector, n: number, at: number): number {
    const w = this.#width
    // Allocated on first use, uninitialised: every slot up to the batch's length is written before it is read.
    this.#values ??= Buffer.allocUnsafeSlow(this.#capacity * w)
    this.#values.set(duckdb.vector_get_data(vector, n * w).subarray(0, n * w), at * w)
    const raw = duckdb.vector_get_validity(vector, Math.ceil(n / 64) * 8) as Uint8Array | null | undefined
    let nulls = 0
    if (raw && raw.byteLength > 0) {
      for (let i = 0; i < n >> 3; i++) nulls += 8 - POPCOUNT[raw[i]!]!
      for (let i = n & ~7; i < n; i++) if ((raw[i >> 3]! & (1 << (i & 7))) === 0) nulls++
    }
    if (nulls > 0 && !this.#validity) {
      this.#validity = new Uint8Array(Math.ceil(this.#capacity / 8)).fill(0xff)
    }
    const bits = this.#validity
    if (bits) {
      if (nulls === 0) setBits(bits, at, n)
      else copyBits(bits, at, raw!, n)
    }
    this.#nullCount += nulls
    return n * w
  }

  take(length: number, capacity: number): arrow.Data {
    const values = this.#values ?? new Uint8Array(0)
    const data = new this.#ctor(values.buffer as ArrayBuffer, values.byteOffset, length * this.#width / (this.#ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT)
    const out = makeAnyData({
      type: this.#type, length, nullCount: this.#nullCount, data,
      ...(this.#nullCount > 0 ? { nullBitmap: this.#validity!.subarray(0, Math.ceil(length / 8)) } : {}),
    })
    this.#values = undefined
    this.#validity = undefined
    this.#nullCount = 0
    this.#capacity = capacity
    return out
  }
}

/** Sets bits [at, at + n) of `bits`. */
function setBits(bits: Uint8Array, at: number, n: number): void {
  for (let i = at; i < at + n; i++) bits[i >> 3]! |= 1 << (i & 7)
}

/** Copies bits [0, n) of `src` to [at, at + n) of `bits`: bytewise when `at` falls on a byte. */
function copyBits(bits: Uint8Array, at: number, src: Uint8Array, n: number): void {
  if ((at & 7) === 0) {
    const whole = n >> 3
    bits.set(src.subarray(0, whole), at >> 3)
    for (let i = whole << 3; i < n; i++) setBit(bits, at + i, (src[i >> 3]! & (1 << (i & 7))) !== 0)
    return
  }
  for (let i = 0; i < n; i++) setBit(bits, at + i, (src[i >> 3]! & (1 << (i & 7))) !== 0)
}

function setBit(bits: Uint8Array, k: number, on: boolean): void {
  if (on) bits[k >> 3]! |= 1 << (k & 7)
  else bits[k >> 3]! &= ~(1 << (k & 7))
}

class ChunkedSink implements ColumnSink {
  #parts: arrow.Data[] = []
  readonly #logical: duckdb.LogicalType
  readonly #type: arrow.DataType

  constructor(logical: duckdb.LogicalType, type: arrow.DataType) {
    this.#logical = logical
    this.#type = type
  }

  append(vector: duckdb.Vector, n: number): number {
    const d = vectorToData(vector, this.#logical, this.#type, n)
    this.#parts.push(d)
    return d.byteLength
  }

  take(): arrow.Data {
    const parts = this.#parts
    this.#parts = []
    return parts.length === 1 ? parts[0]! : concatData(this.#type, parts)!
  }
}

/** The sink for a column of DuckDB type `logical`, read as Arrow `type`, batches of `capacity` rows. */
export function columnSink(logical: duckdb.LogicalType, type: arrow.DataType, capacity: number): ColumnSink {
  const width = fixedWidthOf(logical)
  return width ? new FixedSink(type, width, capacity) : new ChunkedSink(logical, type)
}
