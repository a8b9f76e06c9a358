/**
 * Arrow column ⇄ tensor. A tensor is a flat typed array plus dims whose first axis is rows; on the
 * way in it is a view over the Arrow values buffer wherever the layout allows (numbers in scalar,
 * fixed-size list or equal-length list columns), and on the way out the typed array becomes the
 * Arrow values buffer without a copy. Booleans (bit-packed in Arrow, one byte per value in a tensor),
 * strings and multi-chunk columns are the only copies.
 */
import * as arrow from 'apache-arrow'
import { InvalidInput } from '../errors.js'
import { fixedSizeListData, fixedWidthData } from './arrow-fast.js'
import { isListType, toArrowType, typeLabel } from './schema.js'
import { describeInvalidUtf8, invalidUtf8At } from './text-bytes.js'
import type { FieldType } from './schema.js'

export const TENSOR_ELEMENT_TYPES = [
  'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
  'float16', 'float32', 'float64', 'string',
] as const
export type TensorElementType = (typeof TENSOR_ELEMENT_TYPES)[number]

export type NumericTensorData =
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array
  | Float32Array | Float64Array
/** `bool` is a Uint8Array of 0/1, `float16` a Uint16Array of IEEE half bits, `string` a string[]. */
export type TensorData = NumericTensorData | string[]

export interface TensorView {
  readonly type: TensorElementType
  readonly data: TensorData
  /** `[rows, ...per-row sizes]`; the data holds their product of elements in row-major order. */
  readonly dims: number[]
}

/** A schema type seen as a tensor: its element type and per-row dims (`null` = variable length). */
export interface TensorShape {
  type: TensorElementType
  dims: (number | null)[]
}

const ARRAY_TYPES: Record<Exclude<TensorElementType, 'string'>, { new (n: number): NumericTensorData }> = {
  bool: Uint8Array, int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array,
  float16: Uint16Array, float32: Float32Array, float64: Float64Array,
}

/** A zeroed data array of `length` elements for a tensor of `type`. */
export function allocateTensorData(type: TensorElementType, length: number): TensorData {
  return type === 'string' ? new Array<string>(length).fill('') : new ARRAY_TYPES[type](length)
}

/** The tensor form of a schema type, or null when it is not one (struct, binary, timestamp). */
export function fieldTensorShape(type: FieldType): TensorShape | null {
  const dims: (number | null)[] = []
  let t = type
  while (isListType(t)) {
    dims.push(t.size)
    t = t.list
  }
  if (typeof t !== 'string' || !(TENSOR_ELEMENT_TYPES as readonly string[]).includes(t)) return null
  return { type: t as TensorElementType, dims }
}

/** The schema type of a tensor with these per-row dims: nested fixed-size lists (null → variable). */
export function tensorFieldType(type: TensorElementType, rowDims: readonly (number | null)[]): FieldType {
  let t: FieldType = type
  for (let i = rowDims.length - 1; i >= 0; i--) t = { list: t, size: rowDims[i] ?? null }
  return t
}

/**
 * Reads a column as a tensor. A single-chunk numeric column is returned as a view over its Arrow
 * buffer; several chunks are concatenated. Nulls, ragged lists and non-tensor types are refused
 * with InvalidInput naming `field` and the row (counted from `firstRow` for a slice).
 */
export function columnToTensor(column: arrow.Vector, field = 'column', firstRow = 0): TensorView {
  const parts: Leaf[] = []
  let rowBase = firstRow
  for (const data of column.data) {
    parts.push(descend(data, 0, data.length, [], 1, rowBase, field))
    rowBase += data.length
  }
  if (parts.length === 1) {
    const p = parts[0]!
    return { type: p.type, data: p.values, dims: [column.length, ...p.dims] }
  }
  return concatParts(parts, column, field)
}

/**
 * Wraps a tensor as an Arrow vector. With `type`, the column takes that schema type (it must hold
 * the same element type and as many elements per row: [rows, 2, 2] fits list<float32>[4]);
 * otherwise the type is nested fixed-size lists of the tensor's dims. Numeric data is not copied.
 */
export function tensorToColumn(tensor: TensorView, type?: FieldType): arrow.Vector {
  return arrow.makeVector(tensorToData(tensor, type ?? tensorFieldType(tensor.type, tensor.dims.slice(1))))
}

/**
 * `tensorToColumn` as one Arrow Data of schema type `type`; `arrowType` (= `toArrowType(type)`)
 * may be passed in by callers that convert many tensors of one type.
 */
export function tensorToData(tensor: TensorView, type: FieldType, arrowType: arrow.DataType = toArrowType(type)): arrow.Data {
  const { dims } = tensor
  if (dims.length === 0) throw new InvalidInput(`a tensor of shape [] has no row axis`)
  const rows = dims[0]!
  const target = type
  const shape = fieldTensorShape(target)
  if (shape === null || shape.type !== tensor.type) {
    throw new InvalidInput(`a ${tensor.type} tensor cannot become a ${typeLabel(target)} column`, {
      expected: typeLabel(target), got: tensor.type,
    })
  }
  const levelSizes = fitRowDims(shape.dims, dims)
  const count = levelSizes.reduce((a, b) => a * b, rows)
  if (tensor.data.length !== count) {
    throw new InvalidInput(`a tensor of shape [${dims.join(', ')}] must hold ${count} values, it holds ${tensor.data.length}`)
  }
  const listTypes: arrow.DataType[] = []
  let leafType = arrowType
  while (leafType.typeId === arrow.Type.FixedSizeList || leafType.typeId === arrow.Type.List) {
    listTypes.push(leafType)
    leafType = leafType.children[0]!.type
  }
  let data: arrow.Data = leafData(tensor, leafType, count)
  for (let i = listTypes.length - 1; i >= 0; i--) {
    const size = levelSizes[i]!
    const n = levelSizes.slice(0, i).reduce((a, b) => a * b, rows)
    const lt = listTypes[i]!
    if (lt.typeId === arrow.Type.FixedSizeList) {
      data = fixedSizeListData(lt as arrow.FixedSizeList, n, data)
    } else {
      const valueOffsets = new Int32Array(n + 1)
      for (let r = 1; r <= n; r++) valueOffsets[r] = r * size
      data = arrow.makeData({ type: lt as arrow.List, length: n, nullCount: 0, valueOffsets, child: data })
    }
  }
  return data
}

/** Per-row sizes of each list level of a schema type for a tensor with `dims` (same element count). */
function fitRowDims(schemaDims: readonly (number | null)[], dims: readonly number[]): number[] {
  const rowDims = dims.slice(1)
  const perRow = rowDims.reduce((a, b) => a * b, 1)
  if (schemaDims.every((d) => d !== null)) {
    const want = (schemaDims as number[]).reduce((a, b) => a * b, 1)
    if (want === perRow || dims[0] === 0) return schemaDims as number[]
  } else if (schemaDims.length === rowDims.length && schemaDims.every((d, i) => d === null || d === rowDims[i])) {
    return rowDims
  }
  const label = `[${schemaDims.map((d) => d ?? '*').join(', ')}]`
  throw new InvalidInput(`a tensor of shape [${dims.join(', ')}] does not fit per-row shape ${label}`, {
    expected: label, got: `[${rowDims.join(', ')}]`,
  })
}

function leafData(tensor: TensorView, leafType: arrow.DataType, count: number): arrow.Data {
  const { data } = tensor
  if (tensor.type === 'string') return utf8Data(data as string[], leafType as arrow.Utf8)
  if (tensor.type === 'bool') return arrow.makeData({ type: leafType as arrow.Bool, length: count, nullCount: 0, data: packBits(data as Uint8Array) })
  let values = data as NumericTensorData
  // onnxruntime hands float16 back as Float16Array where the platform has one; Arrow wants the bits.
  if (tensor.type === 'float16' && !(values instanceof Uint16Array)) {
    values = new Uint16Array(values.buffer, values.byteOffset, values.length)
  }
  return fixedWidthData(leafType, count, values)
}

function packBits(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array((bytes.length + 7) >> 3)
  for (let i = 0; i < bytes.length; i++) if (bytes[i]) out[i >> 3]! |= 1 << (i & 7)
  return out
}

function utf8Data(strings: string[], type: arrow.Utf8): arrow.Data {
  const valueOffsets = new Int32Array(strings.length + 1)
  let total = 0
  for (let i = 0; i < strings.length; i++) {
    total += Buffer.byteLength(strings[i]!, 'utf8')
    valueOffsets[i + 1] = total
  }
  const buf = Buffer.allocUnsafe(total)
  for (let i = 0; i < strings.length; i++) buf.write(strings[i]!, valueOffsets[i]!, 'utf8')
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, total)
  return arrow.makeData({ type, length: strings.length, nullCount: 0, valueOffsets, data: bytes })
}

interface Leaf {
  type: TensorElementType
  values: TensorData
  dims: number[]
}

/**
 * Walks list levels down to the leaf values of elements [start, start+count) of `data`. `perRow`
 * is how many elements of this level make one row, `rowBase` the row of the chunk's first element.
 */
function descend(data: arrow.Data, start: number, count: number, dims: number[], perRow: number, rowBase: number, field: string): Leaf {
  const rowAt = (i: number) => rowBase + Math.floor((i - start) / perRow)
  checkNulls(data, start, count, field, rowAt)
  const t = data.type
  if (t.typeId === arrow.Type.FixedSizeList) {
    const size = (t as arrow.FixedSizeList).listSize
    return descend(data.children[0]!, start * size, count * size, [...dims, size], perRow * size, rowBase, field)
  }
  if (t.typeId === arrow.Type.List) {
    const offsets = data.valueOffsets
    const first = Number(offsets[start] ?? 0)
    const len = count === 0 ? 0 : Number(offsets[start + 1]) - first
    for (let i = 1; i < count; i++) {
      const got = Number(offsets[start + i + 1]) - Number(offsets[start + i])
      if (got !== len) {
        throw new InvalidInput(
          `field '${field}' row ${rowAt(start + i)} has a list of ${got} values where row ${rowBase} has ${len}; a tensor needs lists of equal length`,
          { field, row: rowAt(start + i), expected: `${len} values`, got: `${got} values` },
        )
      }
    }
    return descend(data.children[0]!, first, count * len, [...dims, len], perRow * len, rowBase, field)
  }
  const badUtf8 = (i: number, why: string) => new InvalidInput(
    `field '${field}' row ${rowAt(i)} element ${(i - start) % perRow}: ${why}; a string column must hold UTF-8 text`,
    { field, row: rowAt(i), expected: 'UTF-8 text', got: 'bytes that are not UTF-8' },
  )
  return { type: elementType(t, field), values: leafValues(data, start, count, badUtf8), dims }
}

function elementType(t: arrow.DataType, field: string): TensorElementType {
  switch (t.typeId) {
    case arrow.Type.Bool: return 'bool'
    case arrow.Type.Int: {
      const i = t as arrow.Int
      return `${i.isSigned ? 'int' : 'uint'}${i.bitWidth}` as TensorElementType
    }
    case arrow.Type.Float: {
      const p = (t as arrow.Float).precision
      return p === arrow.Precision.HALF ? 'float16' : p === arrow.Precision.SINGLE ? 'float32' : 'float64'
    }
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8: return 'string'
    case arrow.Type.Dictionary: return elementType((t as arrow.Dictionary).dictionary, field)
  }
  throw new InvalidInput(
    `field '${field}' has type ${String(t)}, which is not a tensor; expected numbers, bool or string, possibly in lists of equal length`,
    { field, expected: 'numeric, bool or string values', got: String(t) },
  )
}

function leafValues(
  data: arrow.Data, start: number, count: number,
  badUtf8: (i: number, why: string) => InvalidInput = (i, why) => new InvalidInput(`string ${i}: ${why}`),
): TensorData {
  const t = data.type
  if (t.typeId === arrow.Type.Int || t.typeId === arrow.Type.Float) {
    // Arrow JS keeps `values` positioned at the Data's first element (slices move the buffer view);
    // `offset` only indexes the validity bitmap.
    return (data.values as NumericTensorData).subarray(start, start + count)
  }
  if (t.typeId === arrow.Type.Bool) {
    const bits = data.values as Uint8Array
    const out = new Uint8Array(count)
    for (let i = 0, b = data.offset + start; i < count; i++, b++) out[i] = (bits[b >> 3]! >> (b & 7)) & 1
    return out
  }
  if (t.typeId === arrow.Type.Utf8 || t.typeId === arrow.Type.LargeUtf8) {
    const offsets = data.valueOffsets
    const bytes = data.values as Uint8Array
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const first = Number(offsets[start] ?? 0)
    // Arrow IPC may carry utf8 columns whose bytes are not UTF-8; decoding would replace them.
    const checkEach = count > 0 && invalidUtf8At(bytes.subarray(first, Number(offsets[start + count]))) >= 0
    const out = new Array<string>(count)
    for (let i = 0; i < count; i++) {
      const a = Number(offsets[start + i])
      const b = Number(offsets[start + i + 1])
      if (checkEach) {
        const bad = invalidUtf8At(bytes.subarray(a, b))
        if (bad >= 0) throw badUtf8(start + i, describeInvalidUtf8(bytes.subarray(a, b), bad))
      }
      out[i] = buf.toString('utf8', a, b)
    }
    return out
  }
  // Dictionary-encoded leaf: look each index up (strings mostly; numbers are rare here).
  const dict = data.dictionary!
  const indices = data.values as NumericTensorData
  const looked = Array.from({ length: count }, (_, i) => dict.get(Number(indices[start + i])))
  const et = elementType(t, 'column')
  if (et === 'string') return looked as string[]
  const out = new ARRAY_TYPES[et](count)
  for (let i = 0; i < count; i++) (out as unknown as unknown[])[i] = et === 'bool' ? (looked[i] ? 1 : 0) : looked[i]
  return out
}

function checkNulls(data: arrow.Data, start: number, count: number, field: string, rowAt: (i: number) => number): void {
  if (data.nullCount <= 0 || !data.nullBitmap || data.nullBitmap.length === 0) return
  const bits = data.nullBitmap
  for (let i = start; i < start + count; i++) {
    const b = data.offset + i
    if (((bits[b >> 3]! >> (b & 7)) & 1) === 0) {
      const row = rowAt(i)
      throw new InvalidInput(`field '${field}' row ${row} is null; tensors cannot hold nulls`, {
        field, row, expected: 'a value', got: 'null',
      })
    }
  }
}

function concatParts(parts: Leaf[], column: arrow.Vector, field: string): TensorView {
  const type = parts[0]?.type ?? elementTypeOfEmpty(column.type, field)
  const withRows = parts.filter((p) => p.values.length > 0)
  const dims = withRows[0]?.dims ?? parts[0]?.dims ?? emptyRowDims(column.type)
  let total = 0
  for (const p of withRows) {
    if (p.dims.join(',') !== dims.join(',')) {
      throw new InvalidInput(
        `field '${field}' has lists of shape [${p.dims.join(', ')}] in one batch and [${dims.join(', ')}] in another; a tensor needs one shape`,
        { field, expected: `[${dims.join(', ')}]`, got: `[${p.dims.join(', ')}]` },
      )
    }
    total += p.values.length
  }
  if (type === 'string') return { type, data: withRows.flatMap((p) => p.values as string[]), dims: [column.length, ...dims] }
  const out = allocateTensorData(type, total) as NumericTensorData
  let at = 0
  for (const p of withRows) {
    ;(out as Float32Array).set(p.values as Float32Array, at)
    at += p.values.length
  }
  return { type, data: out, dims: [column.length, ...dims] }
}

function emptyRowDims(t: arrow.DataType): number[] {
  const dims: number[] = []
  for (; t.typeId === arrow.Type.FixedSizeList || t.typeId === arrow.Type.List; t = t.children[0]!.type) {
    dims.push(t.typeId === arrow.Type.FixedSizeList ? (t as arrow.FixedSizeList).listSize : 0)
  }
  return dims
}

function elementTypeOfEmpty(t: arrow.DataType, field: string): TensorElementType {
  while (t.typeId === arrow.Type.FixedSizeList || t.typeId === arrow.Type.List) t = t.children[0]!.type
  return elementType(t, field)
}
