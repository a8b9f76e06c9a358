/**
 * The online store's value format: one entity's features as one binary value, read and written
 * column by column from Arrow buffers. Every type keeps its exact bits (int64 past 2^53, NaN
 * payloads, bytes, lists, structs). Layout: event time (int64 ms), a null bitmap, then each field
 * in order — fixed-width numbers little-endian at their own width, strings and bytes as u32 length
 * + bytes, fixed-size lists as their elements, variable lists as u32 count + elements, structs as
 * a null bitmap of their fields (bit set = null) then each field's value.
 */
import * as arrow from 'apache-arrow'
import { isValidAt, makeAnyData } from '../../data/arrow-data.js'
import { isListType, isStructType, toArrowType, type FieldType, type SchemaField, type StructType } from '../../data/schema.js'

const WIDTH: Readonly<Record<string, number>> = {
  bool: 1, int8: 1, uint8: 1, int16: 2, uint16: 2, float16: 2, int32: 4, uint32: 4, float32: 4,
  int64: 8, uint64: 8, float64: 8, 'timestamp[ms]': 8,
}

/** Bytes of one fixed-width value of `t`, copied as one run of bytes; null when its size varies, and for structs (written field by field). */
export function fixedWidth(t: FieldType): number | null {
  if (typeof t === 'string') return WIDTH[t] ?? null
  if (isListType(t) && t.size !== null) {
    const w = fixedWidth(t.list)
    return w === null ? null : w * t.size
  }
  return null
}

/** Bytes of a struct's own null bitmap. */
const structBitmapBytes = (t: StructType) => (t.struct.length + 7) >> 3

/** Bytes a value of `t` takes when every variable part is empty: what a missing entity is read from. */
function emptySize(t: FieldType): number {
  const w = fixedWidth(t)
  if (w !== null) return w
  if (isStructType(t)) return t.struct.reduce((n, f) => n + emptySize(f.type), structBitmapBytes(t))
  if (isListType(t) && t.size !== null) return t.size * emptySize(t.list)
  return 4
}

/** Reads `t` values at element index `e` of a leaf Data: bytes into `out` at `pos`. */
function leafBytes(d: arrow.Data, t: FieldType): Uint8Array {
  if (t === 'bool') return d.values as Uint8Array
  const v = d.values as ArrayBufferView
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
}

/** Byte size of row `i` of `d` (type `t`), for the variable types. */
function sizeAt(d: arrow.Data, t: FieldType, i: number): number {
  const w = fixedWidth(t)
  if (w !== null) return w
  if (isStructType(t)) return t.struct.reduce((n, f, k) => n + sizeAt(d.children[k]!, f.type, i), structBitmapBytes(t))
  if (t === 'string' || t === 'binary') {
    const o = d.valueOffsets as Int32Array
    return 4 + (isValidAt(d, i) ? o[i + 1]! - o[i]! : 0)
  }
  const lt = t as { list: FieldType; size: number | null }
  if (lt.size !== null) {
    let n = 0
    for (let k = 0; k < lt.size; k++) n += sizeAt(d.children[0]!, lt.list, i * lt.size + k)
    return n
  }
  const o = d.valueOffsets as Int32Array
  const start = o[i]!
  const end = isValidAt(d, i) ? o[i + 1]! : start
  let n = 4
  for (let k = start; k < end; k++) n += sizeAt(d.children[0]!, lt.list, k)
  return n
}

/** Writes element `i` of `d` (type `t`) at `pos`; returns the position after it. */
function writeAt(buf: Buffer, pos: number, d: arrow.Data, t: FieldType, i: number): number {
  const w = typeof t === 'string' ? WIDTH[t] : undefined
  if (w !== undefined) {
    if (t === 'bool') {
      const k = d.offset + i
      buf[pos] = ((d.values as Uint8Array)[k >> 3]! >> (k & 7)) & 1
    } else {
      buf.set(leafBytes(d, t).subarray(i * w, i * w + w), pos)
    }
    return pos + w
  }
  if (t === 'string' || t === 'binary') {
    const o = d.valueOffsets as Int32Array
    const len = isValidAt(d, i) ? o[i + 1]! - o[i]! : 0
    buf.writeUInt32LE(len, pos)
    buf.set((d.values as Uint8Array).subarray(o[i]!, o[i]! + len), pos + 4)
    return pos + 4 + len
  }
  if (isStructType(t)) {
    const bitmap = pos
    const bytes = structBitmapBytes(t)
    buf.fill(0, pos, pos + bytes)
    pos += bytes
    t.struct.forEach((f, k) => {
      const child = d.children[k]!
      if (!isValidAt(child, i)) buf[bitmap + (k >> 3)]! |= 1 << (k & 7)
      pos = writeAt(buf, pos, child, f.type, i)
    })
    return pos
  }
  const lt = t as { list: FieldType; size: number | null }
  const child = d.children[0]!
  if (lt.size !== null) {
    const ew = fixedWidth(lt.list)
    if (ew !== null && lt.list !== 'bool') {
      buf.set(leafBytes(child, lt.list).subarray(i * lt.size * ew, (i + 1) * lt.size * ew), pos)
      return pos + lt.size * ew
    }
    for (let k = 0; k < lt.size; k++) pos = writeAt(buf, pos, child, lt.list, i * lt.size + k)
    return pos
  }
  const o = d.valueOffsets as Int32Array
  const start = o[i]!
  const end = isValidAt(d, i) ? o[i + 1]! : start
  buf.writeUInt32LE(end - start, pos)
  pos += 4
  for (let k = start; k < end; k++) pos = writeAt(buf, pos, child, lt.list, k)
  return pos
}

/** Writes one column's value of row `i` at `pos`; returns the position after it. */
type ColumnWriter = (buf: Buffer, pos: number, i: number) => number

/** A writer for one column: fixed-width values copied byte by byte from one view of the buffer, others element by element. */
function writerFor(d: arrow.Data, t: FieldType): ColumnWriter {
  const w = fixedWidth(t)
  const leaf = isListType(t) ? d.children[0]! : d
  const elem = isListType(t) ? t.list : t
  if (w !== null && elem !== 'bool') {
    const src = leafBytes(leaf, elem)
    if (w === 8) {
      return (buf, pos, i) => {
        const o = i * 8
        buf[pos] = src[o]!; buf[pos + 1] = src[o + 1]!; buf[pos + 2] = src[o + 2]!; buf[pos + 3] = src[o + 3]!
        buf[pos + 4] = src[o + 4]!; buf[pos + 5] = src[o + 5]!; buf[pos + 6] = src[o + 6]!; buf[pos + 7] = src[o + 7]!
        return pos + 8
      }
    }
    return (buf, pos, i) => {
      const o = i * w
      for (let b = 0; b < w; b++) buf[pos + b] = src[o + b]!
      return pos + w
    }
  }
  return (buf, pos, i) => writeAt(buf, pos, d, t, i)
}

/**
 * Encodes every row of `columns` (one Data each, equal lengths, types `fields`) into one buffer,
 * each row starting with `prefix` when given; returns it with each row's end offset. `time` (ms)
 * is written first when given, then the null bitmap.
 */
export function encodeRows(fields: readonly SchemaField[], columns: readonly arrow.Data[], time: BigInt64Array | null, prefix?: Uint8Array): { bytes: Buffer; ends: Uint32Array } {
  const rows = columns[0]?.length ?? time?.length ?? 0
  const bitmapBytes = time === null ? 0 : (fields.length + 7) >> 3
  const head = (prefix?.length ?? 0) + (time === null ? 0 : 8) + bitmapBytes
  let fixed = head
  const variable: number[] = []
  for (const [c, f] of fields.entries()) {
    const w = fixedWidth(f.type)
    if (w === null) variable.push(c)
    else fixed += w
  }
  const ends = new Uint32Array(rows)
  let total = 0
  for (let i = 0; i < rows; i++) {
    let size = fixed
    for (const c of variable) size += sizeAt(columns[c]!, fields[c]!.type, i)
    ends[i] = total += size
  }
  const bytes = Buffer.allocUnsafe(total)
  const writers = fields.map((f, c) => writerFor(columns[c]!, f.type))
  const timeBytes = time === null ? null : new Uint8Array(time.buffer, time.byteOffset, time.byteLength)
  for (let i = 0; i < rows; i++) {
    let pos = i === 0 ? 0 : ends[i - 1]!
    if (prefix) {
      bytes.set(prefix, pos)
      pos += prefix.length
    }
    if (timeBytes !== null) {
      for (let b = 0; b < 8; b++) bytes[pos + b] = timeBytes[i * 8 + b]!
      pos += 8
      for (let b = 0; b < bitmapBytes; b++) bytes[pos + b] = 0
      pos += bitmapBytes
    }
    for (let c = 0; c < writers.length; c++) pos = writers[c]!(bytes, pos, i)
  }
  if (time !== null) {
    const at = (prefix?.length ?? 0) + 8
    for (const [c, d] of columns.entries()) {
      if (d.nullCount === 0) continue
      for (let i = 0; i < rows; i++) {
        if (!isValidAt(d, i)) bytes[(i === 0 ? 0 : ends[i - 1]!) + at + (c >> 3)]! |= 1 << (c & 7)
      }
    }
  }
  return { bytes, ends }
}

/** A growable byte sink for variable-width columns being decoded. */
class Bytes {
  buf = Buffer.alloc(256)
  length = 0
  push(src: Uint8Array): void {
    if (this.length + src.length > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + src.length))
      next.set(this.buf.subarray(0, this.length))
      this.buf = next
    }
    this.buf.set(src, this.length)
    this.length += src.length
  }
  take(): Uint8Array {
    return this.buf.subarray(0, this.length)
  }
}

/** Decodes one column's values row by row from the entity buffers into Arrow. */
interface ColumnReader {
  /** Reads one value at `pos` of `buf` for row `i` (valid=false writes a null); returns the position after it. */
  read(buf: Buffer, pos: number, i: number, valid: boolean): number
  finish(nulls: Uint8Array | null, nullCount: number): arrow.Data
}

function readerFor(t: FieldType, rows: number): ColumnReader {
  const type = toArrowType(t)
  const w = typeof t === 'string' ? WIDTH[t] : undefined
  if (w !== undefined) {
    const raw = new Uint8Array(t === 'bool' ? rows : rows * w)
    return {
      read(buf, pos, i) {
        raw.set(buf.subarray(pos, pos + w), i * w)
        return pos + w
      },
      finish(nullBitmap, nullCount) {
        let data: ArrayBufferView = raw
        if (t === 'bool') {
          const bits = new Uint8Array((rows + 7) >> 3)
          for (let i = 0; i < rows; i++) if (raw[i]) bits[i >> 3]! |= 1 << (i & 7)
          data = bits
        } else {
          data = new ((type as arrow.DataType).ArrayType as new (b: ArrayBuffer) => ArrayBufferView)(raw.buffer)
        }
        return makeAnyData({ type, length: rows, nullCount, nullBitmap: nullBitmap ?? undefined, data })
      },
    }
  }
  if (t === 'string' || t === 'binary') {
    const offsets = new Int32Array(rows + 1)
    const bytes = new Bytes()
    return {
      read(buf, pos, i) {
        const len = buf.readUInt32LE(pos)
        bytes.push(buf.subarray(pos + 4, pos + 4 + len))
        offsets[i + 1] = bytes.length
        return pos + 4 + len
      },
      finish(nullBitmap, nullCount) {
        return makeAnyData({ type, length: rows, nullCount, nullBitmap: nullBitmap ?? undefined, valueOffsets: offsets, data: bytes.take() })
      },
    }
  }
  if (isStructType(t)) return structReader(t, rows)
  const lt = t as { list: FieldType; size: number | null }
  if (lt.size !== null) {
    const inner = readerFor(lt.list, rows * lt.size)
    const size = lt.size
    return {
      read(buf, pos, i, valid) {
        for (let k = 0; k < size; k++) pos = inner.read(buf, pos, i * size + k, valid)
        return pos
      },
      finish(nullBitmap, nullCount) {
        return makeAnyData({ type, length: rows, nullCount, nullBitmap: nullBitmap ?? undefined, child: inner.finish(null, 0) })
      },
    }
  }
  // Variable lists: elements decoded into a child reader sized as they come.
  const offsets = new Int32Array(rows + 1)
  const spans: [Buffer, number, number][] = []
  const ew = fixedWidth(lt.list)
  return {
    read(buf, pos, i) {
      const n = buf.readUInt32LE(pos)
      pos += 4
      const start = pos
      if (ew !== null) pos += n * ew
      else for (let k = 0; k < n; k++) pos = skip(buf, pos, lt.list)
      spans.push([buf, start, n])
      offsets[i + 1] = offsets[i]! + n
      return pos
    },
    finish(nullBitmap, nullCount) {
      const inner = readerFor(lt.list, offsets[rows]!)
      let e = 0
      for (const [buf, start, n] of spans) {
        let p = start
        for (let k = 0; k < n; k++) p = inner.read(buf, p, e++, true)
      }
      return makeAnyData({ type, length: rows, nullCount, nullBitmap: nullBitmap ?? undefined, valueOffsets: offsets, child: inner.finish(null, 0) })
    },
  }
}

/** A struct's fields decoded each by its own reader, with their own null bitmaps. */
function structReader(t: StructType, rows: number): ColumnReader {
  const fields = t.struct.map((f) => readerFor(f.type, rows))
  const bitmaps = t.struct.map(() => new Uint8Array((rows + 7) >> 3))
  const nulls = new Uint32Array(t.struct.length)
  const bytes = structBitmapBytes(t)
  return {
    read(buf, pos, i, valid) {
      const bitmap = pos
      pos += bytes
      for (let k = 0; k < fields.length; k++) {
        const ok = valid && (buf[bitmap + (k >> 3)]! & (1 << (k & 7))) === 0
        if (ok) bitmaps[k]![i >> 3]! |= 1 << (i & 7)
        else nulls[k]!++
        pos = fields[k]!.read(buf, pos, i, ok)
      }
      return pos
    },
    finish(nullBitmap, nullCount) {
      const children = fields.map((r, k) => r.finish(nulls[k]! > 0 ? bitmaps[k]! : null, nulls[k]!))
      return makeAnyData({ type: toArrowType(t), length: rows, nullCount, nullBitmap: nullBitmap ?? undefined, children })
    },
  }
}

function skip(buf: Buffer, pos: number, t: FieldType): number {
  const w = fixedWidth(t)
  if (w !== null) return pos + w
  if (isStructType(t)) {
    pos += structBitmapBytes(t)
    for (const f of t.struct) pos = skip(buf, pos, f.type)
    return pos
  }
  if (isListType(t) && t.size !== null) {
    for (let k = 0; k < t.size; k++) pos = skip(buf, pos, t.list)
    return pos
  }
  const n = buf.readUInt32LE(pos)
  if (t === 'string' || t === 'binary') return pos + 4 + n
  pos += 4
  for (let k = 0; k < n; k++) pos = skip(buf, pos, (t as { list: FieldType }).list)
  return pos
}

export interface DecodedRows {
  /** One Data per field, null where the entity is missing or its value is null. */
  columns: arrow.Data[]
  /** Event time (ms) per row; 0 where missing. */
  time: BigInt64Array
  /** 1 where the entity was found. */
  found: Uint8Array
}

/**
 * Decodes entity values (null = entity missing) into columns of `fields`. Rows whose event time
 * `keep` refuses (older than the ttl) count as missing.
 */
export function decodeRows(fields: readonly SchemaField[], values: readonly (Uint8Array | null)[], keep?: (timeMs: bigint) => boolean): DecodedRows {
  const rows = values.length
  const readers = fields.map((f) => readerFor(f.type, rows))
  const bitmaps = fields.map(() => new Uint8Array((rows + 7) >> 3))
  const nulls = new Uint32Array(fields.length)
  const time = new BigInt64Array(rows)
  const found = new Uint8Array(rows)
  const bitmapBytes = (fields.length + 7) >> 3
  const empty = Buffer.alloc(fields.reduce((n, f) => n + emptySize(f.type), 0))
  for (let i = 0; i < rows; i++) {
    const v = values[i]
    let buf = v ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : null
    if (buf) {
      time[i] = buf.readBigInt64LE(0)
      if (keep && !keep(time[i]!)) buf = null
      else found[i] = 1
    }
    let pos = 8 + bitmapBytes
    for (let c = 0; c < fields.length; c++) {
      const valid = buf !== null && (buf[8 + (c >> 3)]! & (1 << (c & 7))) === 0
      if (valid) bitmaps[c]![i >> 3]! |= 1 << (i & 7)
      else nulls[c]!++
      if (buf) pos = readers[c]!.read(buf, pos, i, valid)
      else readers[c]!.read(empty, 0, i, false)
    }
  }
  const columns = readers.map((r, c) => r.finish(nulls[c]! > 0 ? bitmaps[c]! : null, nulls[c]!))
  return { columns, time, found }
}
