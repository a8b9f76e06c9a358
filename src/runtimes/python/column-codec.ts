/**
 * Arrow columns ⇄ wire columns. Encoding hands out views over the Arrow buffers (a column made
 * of several record batches is the one case that copies); decoding builds Arrow `Data` over
 * typed-array views of the reply frame.
 */
import * as arrow from 'apache-arrow'
import type { Table } from 'apache-arrow'
import { InvalidInput, RuntimeFailure, Unsupported } from '../../errors.js'
import { isListType, isStructType, toArrowType, typeLabel } from '../../data/schema.js'
import type { FieldType, ModelSchema, SchemaField } from '../../data/schema.js'
import type { BodyBuilder, WireColumn, WireDtype } from './messages.js'

/** A field's layout on the wire: leaf dtype, fixed dimensions below the row, variable list or not. */
export interface WireLayout {
  dtype: WireDtype
  dims: number[]
  variable: boolean
}

const ELEMENT_BYTES: Record<WireDtype, number> = {
  bool: 1, int8: 1, uint8: 1, int16: 2, uint16: 2, float16: 2, int32: 4, uint32: 4, float32: 4,
  int64: 8, uint64: 8, float64: 8, 'timestamp[ms]': 8, string: 1, binary: 1,
}

/** How a schema field travels, or Unsupported naming the field (structs, lists of strings). */
export function wireLayout(field: SchemaField): WireLayout {
  const dims: number[] = []
  let t: FieldType = field.type
  let variable = false
  while (isListType(t)) {
    if (t.size === null) {
      if (variable || dims.length > 0) throw unsupportedField(field)
      variable = true
    } else dims.push(t.size)
    t = t.list
  }
  if (isStructType(t)) throw unsupportedField(field)
  if ((t === 'string' || t === 'binary') && (variable || dims.length > 0)) throw unsupportedField(field)
  return { dtype: t, dims, variable }
}

function unsupportedField(field: SchemaField): Unsupported {
  return new Unsupported(
    `field '${field.name}' has type ${typeLabel(field.type)}, which the python runtime cannot pass to a worker; ` +
      'use scalars, fixed-size lists of numbers, or one variable-length list of numbers',
  )
}

interface Chunk {
  rows: number
  data: Uint8Array
  offsets?: Int32Array
  validity?: { bytes: Uint8Array; bitOffset: number }
}

/** Adds the table's columns (in schema order) to `body` and returns their descriptors. */
export function encodeColumns(table: Table, schema: ModelSchema, body: BodyBuilder): WireColumn[] {
  return schema.map((field) => {
    const layout = wireLayout(field)
    const vector = table.getChild(field.name)
    if (!vector) throw new InvalidInput(`input has no field '${field.name}'`, { field: field.name })
    const chunks = vector.data.map((d) => chunkOf(d, field, layout))
    const c = chunks.length === 1 ? chunks[0]! : mergeChunks(chunks, layout)
    const col: WireColumn = {
      name: field.name,
      dtype: layout.dtype,
      shape: [c.rows, ...(layout.variable ? [-1] : layout.dims)],
      data: body.add(c.data),
    }
    if (c.offsets) col.offsets = body.add(c.offsets)
    if (c.validity) col.validity = { ...body.add(c.validity.bytes), bit_offset: c.validity.bitOffset }
    return col
  })
}

function chunkOf(d: arrow.Data, field: SchemaField, layout: WireLayout): Chunk {
  let data = d
  if (arrow.DataType.isDictionary(d.type)) data = materialize(d)
  const validity = data.nullCount > 0 && data.nullBitmap
    ? { bytes: data.nullBitmap.subarray(data.offset >> 3), bitOffset: data.offset & 7 }
    : undefined
  const { dtype } = layout
  if (dtype === 'string' || dtype === 'binary') {
    const offsets = data.valueOffsets as Int32Array
    const bytes = (data.values as Uint8Array).subarray(offsets[0], offsets[data.length])
    return { rows: data.length, data: bytes, offsets, validity }
  }
  let leaf = data
  let offsets: Int32Array | undefined
  let count = data.length
  if (layout.variable) {
    offsets = data.valueOffsets as Int32Array
    leaf = data.children[0]!
  }
  while (leaf.children.length > 0) leaf = leaf.children[0]!
  if (leaf !== data && leaf.nullCount > 0) {
    throw new InvalidInput(`field '${field.name}' has null items inside its lists; the python runtime accepts nulls only for whole values`, { field: field.name })
  }
  const per = layout.dims.reduce((a, b) => a * b, 1)
  let start = 0
  if (offsets) {
    start = offsets[0]! * per
    count = offsets[data.length]! - offsets[0]!
  }
  const n = count * per
  if (dtype === 'bool') return { rows: data.length, data: unpackBits(leaf.values as Uint8Array, leaf.offset + start, n), offsets, validity }
  const values = leaf.values as ArrayBufferView & { BYTES_PER_ELEMENT: number }
  const bpe = ELEMENT_BYTES[dtype]
  const bytes = new Uint8Array(values.buffer, values.byteOffset + start * bpe, n * bpe)
  return { rows: data.length, data: bytes, offsets, validity }
}

function materialize(d: arrow.Data): arrow.Data {
  const values = [...arrow.makeVector(d)] as (string | null)[]
  return arrow.vectorFromArray(values, new arrow.Utf8()).data[0]!
}

function unpackBits(bits: Uint8Array, bitOffset: number, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const b = bitOffset + i
    out[i] = (bits[b >> 3]! >> (b & 7)) & 1
  }
  return out
}

function packBits(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bytes.length / 8))
  for (let i = 0; i < bytes.length; i++) if (bytes[i]) out[i >> 3]! |= 1 << (i & 7)
  return out
}

function mergeChunks(chunks: Chunk[], layout: WireLayout): Chunk {
  const rows = chunks.reduce((a, c) => a + c.rows, 0)
  const data = new Uint8Array(chunks.reduce((a, c) => a + c.data.byteLength, 0))
  let at = 0
  for (const c of chunks) {
    data.set(c.data, at)
    at += c.data.byteLength
  }
  let offsets: Int32Array | undefined
  if (chunks[0]!.offsets) {
    offsets = new Int32Array(rows + 1)
    let row = 0
    let base = 0
    for (const c of chunks) {
      const o = c.offsets!
      for (let i = 1; i <= c.rows; i++) offsets[row + i] = base + o[i]! - o[0]!
      row += c.rows
      base = offsets[row]!
    }
  }
  let validity: Chunk['validity']
  if (chunks.some((c) => c.validity)) {
    const valid = new Uint8Array(rows).fill(1)
    let row = 0
    for (const c of chunks) {
      if (c.validity) valid.set(unpackBits(c.validity.bytes, c.validity.bitOffset, c.rows), row)
      row += c.rows
    }
    validity = { bytes: packBits(valid), bitOffset: 0 }
  }
  void layout
  return { rows, data, offsets, validity }
}

/**
 * Builds the result table from a reply. The worker already cast every output to its schema type;
 * this checks the descriptors anyway (a worker is another process) and refuses anything off.
 */
export function decodeColumns(columns: WireColumn[], body: Uint8Array, schema: ModelSchema, rows: number, model: string): Table {
  const byName = new Map(columns.map((c) => [c.name, c]))
  const vectors: Record<string, arrow.Vector> = {}
  for (const field of schema) {
    const col = byName.get(field.name)
    if (!col) throw new RuntimeFailure(`${model} returned no output field '${field.name}'`, { field: field.name })
    const layout = wireLayout(field)
    const shape = [rows, ...(layout.variable ? [-1] : layout.dims)]
    if (col.dtype !== layout.dtype || col.shape.join() !== shape.join()) {
      throw new RuntimeFailure(
        `${model} returned output field '${field.name}' as ${col.dtype}[${col.shape.join(', ')}], expected ${layout.dtype}[${shape.join(', ')}]`,
        { field: field.name },
      )
    }
    vectors[field.name] = arrow.makeVector(dataOf(col, body, field, layout, rows))
  }
  return new arrow.Table(vectors)
}

function view(body: Uint8Array, ref: { offset: number; length: number }): Uint8Array {
  if (ref.offset < 0 || ref.offset + ref.length > body.byteLength) throw new RuntimeFailure('python worker sent a column buffer outside its frame')
  return body.subarray(ref.offset, ref.offset + ref.length)
}

function typed(bytes: Uint8Array, dtype: WireDtype): ArrayBufferView {
  const type = toArrowType(dtype) as arrow.DataType & { ArrayType: { new (b: ArrayBuffer, o: number, n: number): ArrayBufferView } }
  const bpe = ELEMENT_BYTES[dtype]
  return new type.ArrayType(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / bpe)
}

function dataOf(col: WireColumn, body: Uint8Array, field: SchemaField, layout: WireLayout, rows: number): arrow.Data {
  const type = toArrowType(field.type)
  const nullBitmap = col.validity ? view(body, col.validity) : undefined
  const bytes = view(body, col.data)
  const common = { type, length: rows, nullBitmap, nullCount: nullBitmap ? -1 : 0 }
  if (layout.dtype === 'string' || layout.dtype === 'binary') {
    const valueOffsets = new Int32Array(body.buffer as ArrayBuffer, body.byteOffset + col.offsets!.offset, rows + 1)
    return arrow.makeData({ ...common, type: type as arrow.Utf8, valueOffsets, data: bytes })
  }
  let leafType: FieldType = field.type
  while (isListType(leafType)) leafType = leafType.list
  const leafArrow = toArrowType(leafType)
  const per = layout.dims.reduce((a, b) => a * b, 1)
  let valueOffsets: Int32Array | undefined
  let count = rows
  if (layout.variable) {
    valueOffsets = new Int32Array(body.buffer as ArrayBuffer, body.byteOffset + col.offsets!.offset, rows + 1)
    count = valueOffsets[rows]!
  }
  const leafData = layout.dtype === 'bool'
    ? arrow.makeData({ type: leafArrow as arrow.Bool, length: count * per, data: packBits(bytes) })
    : makeAnyData({ type: leafArrow, length: count * per, data: typed(bytes, layout.dtype) })
  // Wrap the leaf in the fixed-size list levels, innermost first.
  let child: arrow.Data = leafData
  let t: FieldType = field.type
  const levels: FieldType[] = []
  while (isListType(t)) {
    levels.push(t)
    t = t.list
  }
  let length = count * per
  for (let i = levels.length - 1; i >= 0; i--) {
    const level = levels[i]!
    if (!isListType(level) || level.size === null) continue
    length /= level.size
    const isTop = i === 0
    child = arrow.makeData({
      type: toArrowType(level) as arrow.FixedSizeList,
      length,
      child,
      ...(isTop ? { nullBitmap, nullCount: nullBitmap ? -1 : 0 } : {}),
    })
  }
  if (valueOffsets) {
    return arrow.makeData({ type: type as arrow.List, length: rows, valueOffsets, child, nullBitmap, nullCount: nullBitmap ? -1 : 0 })
  }
  if (levels.length > 0) return child
  return makeAnyData({ ...common, data: layout.dtype === 'bool' ? packBits(bytes) : typed(bytes, layout.dtype) })
}

// makeData's overloads are per type; the dtype here is only known at run time.
const makeAnyData = arrow.makeData as unknown as (props: Record<string, unknown>) => arrow.Data
