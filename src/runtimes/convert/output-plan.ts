import * as arrow from 'apache-arrow'
import { Unsupported } from '../../errors.js'
import { isListType, toArrowType, typeLabel } from '../../data/schema.js'
import type { FieldType, ModelSchema, SchemaField } from '../../data/schema.js'
import { allocateTensorData, fieldTensorShape, tensorToData } from '../../data/tensor.js'
import type { NumericTensorData, TensorElementType } from '../../data/tensor.js'
import type { ClassLabel, NativeModel, NativeOutputs, OutputRole } from './native-model.js'

/** Output field names and the role that fills them, as the Python worker reads them. */
const ROLE_BY_NAME: Record<string, OutputRole> = {
  predictions: 'predictions', labels: 'predictions', probabilities: 'probabilities', scores: 'scores',
}
const INT_TYPES = new Set<string>(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'])
const FLOAT_TYPES = new Set<string>(['float32', 'float64'])

export interface OutputField {
  field: SchemaField
  role: OutputRole
  /** Values per row: 1 for scalar columns. */
  width: number
  element: TensorElementType
  arrowType: arrow.DataType
}

/**
 * Which role fills each output field, checked against what the model can produce; Unsupported
 * (so the Python worker is tried) when a field cannot be filled natively.
 */
export function planOutputs(schema: ModelSchema, model: NativeModel): OutputField[] {
  return schema.map((field) => {
    const role = ROLE_BY_NAME[field.name] ?? (schema.length === 1 ? 'predictions' : undefined)
    if (!role) throw new Unsupported(`output field '${field.name}' is not one of predictions, probabilities, scores`)
    const width = model.widths[role]
    if (width === undefined) throw new Unsupported(`${model.summary} cannot fill output field '${field.name}' (${role})`)
    const shape = fieldTensorShape(field.type)
    const bad = (why: string) => new Unsupported(`output field '${field.name}' is ${typeLabel(field.type)}, ${why}`)
    if (!shape || shape.dims.length > 1) throw bad('which the native runtime does not produce')
    if (role === 'predictions') {
      if (shape.dims.length !== 0) throw bad('expected one value per row')
      checkLabelType(field.type as string, model, bad)
    } else {
      if (!FLOAT_TYPES.has(shape.type)) throw bad(`expected float64 ${role}`)
      const scalar = shape.dims.length === 0
      if (scalar ? width !== 1 || role === 'probabilities' : shape.dims[0] !== null && shape.dims[0] !== width) {
        throw bad(`but the model gives ${width} ${role} per row`)
      }
    }
    return { field, role, width, element: shape.type, arrowType: toArrowType(field.type) }
  })
}

function checkLabelType(type: string, model: NativeModel, bad: (why: string) => Error): void {
  if (model.classes === undefined) {
    if (!FLOAT_TYPES.has(type)) throw bad('but the model predicts real numbers')
    return
  }
  const labels: readonly ClassLabel[] = model.classes ?? Array.from({ length: model.widths.probabilities ?? 2 }, (_, i) => i)
  if (type === 'string') {
    if (!labels.every((l) => typeof l === 'string')) throw bad('but the class labels are numbers')
  } else if (INT_TYPES.has(type)) {
    if (!labels.every((l) => typeof l === 'number' && Number.isSafeInteger(l))) throw bad('but the class labels are not whole numbers')
  } else if (!FLOAT_TYPES.has(type) || !labels.every((l) => typeof l === 'number')) {
    throw bad('which cannot hold the class labels')
  }
}

/** The values of one field for a batch: class labels or numbers, one row-major array. */
export function outputValues(o: OutputField, out: NativeOutputs, model: NativeModel): Float64Array | ClassLabel[] {
  if (o.role === 'probabilities') return out.probabilities!
  if (o.role === 'scores') return out.scores!
  if (out.values) return out.values
  const idx = out.classIndex!
  const classes = model.classes
  if (!classes) return new Float64Array(idx)
  if (classes.every((c) => typeof c === 'number')) {
    const out = new Float64Array(idx.length)
    for (let i = 0; i < idx.length; i++) out[i] = classes[idx[i]!] as number
    return out
  }
  return Array.from(idx, (i) => classes[i]!)
}

/** One Arrow column of the field's schema type. */
export function outputData(o: OutputField, values: Float64Array | ClassLabel[], rows: number): arrow.Data {
  const t = o.arrowType
  // Float64 scalars and fixed-size lists (most outputs) are wrapped directly, skipping the generic path.
  if (values instanceof Float64Array && o.element === 'float64') {
    if (t.typeId === arrow.Type.Float) return new arrow.Data(t, 0, rows, 0, [undefined, values])
    if (t.typeId === arrow.Type.FixedSizeList) {
      const child = new arrow.Data(t.children[0]!.type, 0, values.length, 0, [undefined, values])
      return new arrow.Data(t, 0, rows, 0, undefined, [child])
    }
  }
  if (values instanceof Float64Array && o.element === 'int64' && t.typeId === arrow.Type.Int) return new arrow.Data(t, 0, rows, 0, [undefined, int64Of(values, rows)])
  let data: NumericTensorData | string[]
  if (o.element === 'string') data = values as string[]
  else if (o.element === 'float64' && values instanceof Float64Array) data = values
  else {
    data = allocateTensorData(o.element, values.length) as NumericTensorData
    const big = data instanceof BigInt64Array || data instanceof BigUint64Array
    for (let i = 0; i < values.length; i++) (data as unknown as unknown[])[i] = big ? BigInt(values[i] as number) : values[i]
  }
  const dims = isListType(o.field.type as FieldType) ? [rows, o.width] : [rows]
  return tensorToData({ type: o.element, data, dims }, o.field.type, o.arrowType)
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** Whole numbers as int64: int32-range values written as two 32-bit halves (no BigInt per value). */
function int64Of(values: Float64Array, rows: number): BigInt64Array {
  const ints = new BigInt64Array(rows)
  const halves = new Int32Array(ints.buffer)
  for (let i = 0; i < rows; i++) {
    const v = values[i]!
    if (LITTLE_ENDIAN && v === (v | 0)) {
      halves[2 * i] = v
      halves[2 * i + 1] = v >> 31
    } else ints[i] = BigInt(v)
  }
  return ints
}
