/**
 * Concatenates Arrow `Data` chunks of one type into a single contiguous `Data`, so thousands of
 * one-row request batches can be written as one record batch. Handles the types SPEC §3 maps to
 * (fixed-width numbers, timestamps, bools, strings, binary, lists, fixed-size lists, structs);
 * returns null for anything else so callers can keep the chunks as they are.
 */
import * as arrow from 'apache-arrow'
import { isValidAt, makeAnyData } from './arrow-data.js'

export function concatData(type: arrow.DataType, chunks: readonly arrow.Data[]): arrow.Data | null {
  if (chunks.length === 1 && chunks[0]!.offset === 0) return chunks[0]!
  const length = chunks.reduce((n, d) => n + d.length, 0)
  const nullCount = chunks.reduce((n, d) => n + d.nullCount, 0)
  const nullBitmap = nullCount > 0 ? packBits(chunks, length, isValidAt) : undefined
  const base = { type, length, nullCount, nullBitmap }
  switch (type.typeId) {
    case arrow.Type.Int:
    case arrow.Type.Float:
    case arrow.Type.Timestamp:
    case arrow.Type.Date:
    case arrow.Type.Time:
    case arrow.Type.Duration: {
      const stride = chunks[0]?.stride ?? 1
      const parts = chunks.map((d) => (d.values as Uint8Array).subarray(0, d.length * stride))
      return makeAnyData({ ...base, data: joinTyped(type.ArrayType as TypedArrayConstructor, parts) })
    }
    case arrow.Type.Bool:
      return makeAnyData({ ...base, data: packBits(chunks, length, bitAt) })
    case arrow.Type.Utf8:
    case arrow.Type.Binary: {
      const { offsets, ranges } = rebaseOffsets(chunks, length)
      return makeAnyData({ ...base, valueOffsets: offsets, data: joinTyped(Uint8Array, ranges.map(([d, s, e]) => (d.values as Uint8Array).subarray(s, e))) })
    }
    case arrow.Type.List: {
      const { offsets, ranges } = rebaseOffsets(chunks, length)
      const child = concatData(type.children[0]!.type, ranges.map(([d, s, e]) => d.children[0]!.slice(s, e - s)))
      return child === null ? null : makeAnyData({ ...base, valueOffsets: offsets, child })
    }
    case arrow.Type.FixedSizeList: {
      const size = (type as arrow.FixedSizeList).listSize
      const child = concatData(type.children[0]!.type, chunks.map((d) => d.children[0]!.slice(0, d.length * size)))
      return child === null ? null : makeAnyData({ ...base, child })
    }
    case arrow.Type.Struct: {
      const children: arrow.Data[] = []
      for (let k = 0; k < type.children.length; k++) {
        const c = concatData(type.children[k]!.type, chunks.map((d) => d.children[k]!.slice(0, d.length)))
        if (c === null) return null
        children.push(c)
      }
      return makeAnyData({ ...base, children })
    }
  }
  return null
}

type TypedArrayConstructor = { new (n: number): ArrayLike<unknown> & { set(a: ArrayLike<unknown>, at: number): void; length: number } }

function joinTyped<T extends TypedArrayConstructor>(ctor: T, parts: ArrayLike<unknown>[]): InstanceType<T> {
  const out = new ctor(parts.reduce((n, p) => n + p.length, 0)) as InstanceType<T>
  let at = 0
  for (const p of parts) { out.set(p as never, at); at += p.length }
  return out
}

function bitAt(d: arrow.Data, i: number): boolean {
  const k = d.offset + i
  return ((d.values as Uint8Array)[k >> 3]! & (1 << (k & 7))) !== 0
}

function packBits(chunks: readonly arrow.Data[], length: number, bit: (d: arrow.Data, i: number) => boolean): Uint8Array {
  const out = new Uint8Array((length + 7) >> 3)
  let at = 0
  for (const d of chunks) {
    for (let i = 0; i < d.length; i++, at++) if (bit(d, i)) out[at >> 3]! |= 1 << (at & 7)
  }
  return out
}

/** One Int32 offsets array over all chunks, and each chunk's [start, end) range of child values. */
function rebaseOffsets(chunks: readonly arrow.Data[], length: number): { offsets: Int32Array; ranges: [arrow.Data, number, number][] } {
  const offsets = new Int32Array(length + 1)
  const ranges: [arrow.Data, number, number][] = []
  let row = 0
  let total = 0
  for (const d of chunks) {
    const o = d.valueOffsets as Int32Array
    const start = o[0] ?? 0
    for (let i = 1; i <= d.length; i++) offsets[row + i] = total + o[i]! - start
    row += d.length
    const end = d.length === 0 ? start : o[d.length]!
    total += end - start
    ranges.push([d, start, end])
  }
  return { offsets, ranges }
}
