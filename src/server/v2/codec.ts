/**
 * Open Inference Protocol tensors ⇄ Arrow tables, against a model's input schema. For a batch
 * model the first axis of every tensor is rows; the remaining axes fold into the field's (nested)
 * fixed-size lists, so a `[rows, 4]` FP32 tensor becomes a `list<float32>[4]` column over the same
 * Float32Array. For a tensor model (serving mode `tensor`) each tensor, whatever its shape, is the
 * one value of its field in a one-row table.
 */
import * as arrow from 'apache-arrow'
import { InvalidInput, Unsupported } from '../../errors.js'
import { isOptional, toArrowSchema, typeLabel, type ModelSchema, type SchemaField } from '../../data/schema.js'
import { buildColumn } from '../../data/column-builder.js'
import { recordBatchOf, tableOf } from '../../data/arrow-fast.js'
import { columnToTensor, fieldTensorShape, tensorToColumn, type TensorData } from '../../data/tensor.js'
import { checkedElementCount } from './tensor-claims.js'
import { describeInvalidUtf8, invalidUtf8At } from '../../data/text-bytes.js'
import {
  decodeBinaryData, decodeJsonData, encodeBinaryData, encodeBytesElements, encodeJsonData, splitBytesElements, type TensorPlace,
} from './tensor-data.js'
import type { ServingMode } from '../../records/version-record.js'
import {
  DATATYPE, ELEMENT_TYPE, V2_DATATYPES, isDatatype, type Datatype, type InferenceRequest, type MetadataTensor, type RequestInput,
  type ResponseOutput,
} from './types.js'

/** The V2 datatype and per-row shape (without the batch axis; -1 = variable) of a schema field. */
export function fieldDatatype(field: SchemaField): { datatype: Datatype; rowShape: number[] } | null {
  if (field.type === 'binary') return { datatype: 'BYTES', rowShape: [] }
  const shape = fieldTensorShape(field.type)
  if (!shape) return null
  return { datatype: DATATYPE[shape.type], rowShape: shape.dims.map((d) => d ?? -1) }
}

/**
 * Model metadata tensors: `[-1, ...row shape]`, -1 being a variable batch axis (a fixed one shows
 * its size); a tensor model's fields are its whole tensors. Non-tensor fields are left out.
 */
export function metadataTensors(schema: ModelSchema | null, serving?: ServingMode): MetadataTensor[] {
  const out: MetadataTensor[] = []
  const batch = serving?.mode === 'tensor' ? [] : [serving?.fixed_batch ?? -1]
  for (const field of schema ?? []) {
    const t = fieldDatatype(field)
    if (t) out.push({ name: field.name, datatype: t.datatype, shape: [...batch, ...t.rowShape] })
  }
  return out
}

/**
 * Builds the input table of an inference request. `binary` holds the binary extension's bytes of
 * each input that declared `binary_data_size`, in request order.
 */
export function requestToTable(
  req: InferenceRequest, schema: ModelSchema, binary: ReadonlyMap<string, Uint8Array> = new Map(), serving?: ServingMode,
): arrow.Table {
  const whole = serving?.mode === 'tensor'
  const byName = new Map<string, RequestInput>()
  for (const input of req.inputs) {
    if (byName.has(input.name)) throw new InvalidInput(`input '${input.name}' is given twice`, { field: input.name })
    if (!schema.some((f) => f.name === input.name)) {
      throw new InvalidInput(`unknown input '${input.name}'; the model's inputs are ${schema.map((f) => `'${f.name}'`).join(', ')}`, {
        field: input.name, expected: schema.map((f) => f.name).join(', '), got: input.name,
      })
    }
    byName.set(input.name, input)
  }
  let rows: number | undefined
  let rowsFrom = ''
  const columns: (arrow.Data | null)[] = []
  for (const field of schema) {
    const input = byName.get(field.name)
    // An optional input left out (SPEC §10) is all nulls, filled in once the row count is known.
    if (!input && isOptional(field)) {
      columns.push(null)
      continue
    }
    if (!input) {
      throw new InvalidInput(`missing input '${field.name}' (${typeLabel(field.type)}); the request gives ${[...byName.keys()].map((n) => `'${n}'`).join(', ')}`, {
        field: field.name, expected: typeLabel(field.type), got: 'nothing',
      })
    }
    const vector = inputToColumn(input, field, binary.get(input.name), whole)
    if (rows === undefined) {
      rows = vector.length
      rowsFrom = input.name
    } else if (vector.length !== rows) {
      throw new InvalidInput(`input '${input.name}' has ${vector.length} rows (first axis) but input '${rowsFrom}' has ${rows}; every input needs the same rows`, {
        field: input.name, expected: `${rows} rows`, got: `${vector.length} rows`,
      })
    }
    columns.push(vector.data[0]!)
  }
  // The schema object is the one made once per model schema, so checks downstream see it as the same.
  const arrowSchema = toArrowSchema(schema)
  // A tensor model without inputs still runs once per request.
  const length = rows ?? (whole ? 1 : 0)
  const filled = columns.map((c, k) => c ?? buildColumn(new Array<unknown>(length).fill(null), schema[k]!.type, { field: schema[k]!.name, rowOf: (i) => i, nullsAllowed: true, allowNull: true }))
  return tableOf(arrowSchema, [recordBatchOf(arrowSchema, filled, length)])
}

function inputToColumn(input: RequestInput, field: SchemaField, binary: Uint8Array | undefined, whole: boolean): arrow.Vector {
  const datatype = input.datatype
  if (!isDatatype(datatype)) {
    throw new InvalidInput(`input '${input.name}' has unsupported datatype '${datatype}'; V2 datatypes are ${V2_DATATYPES.join(', ')}`, {
      field: input.name, expected: V2_DATATYPES.join(', '), got: datatype,
    })
  }
  const want = fieldDatatype(field)
  if (!want) {
    throw new Unsupported(`input '${field.name}' is a ${typeLabel(field.type)} field, which has no V2 tensor form; send it through /v1 instead`)
  }
  if (want.datatype !== datatype) {
    throw new InvalidInput(`input '${input.name}' has datatype ${datatype} but the model expects ${want.datatype} (${typeLabel(field.type)})`, {
      field: input.name, expected: want.datatype, got: datatype,
    })
  }
  const shape = input.shape
  if (whole && field.type !== 'binary') return wholeTensorColumn(input, field, want.datatype, binary)
  if (shape.length === 0) {
    throw new InvalidInput(`input '${input.name}' has shape []; its first axis must be the rows`, { field: input.name, expected: '[rows, ...]', got: '[]' })
  }
  const count = checkedElementCount(input, datatype, binary)
  const place: TensorPlace = { name: input.name, perRow: shape.slice(1).reduce((a, b) => a * b, 1) }
  if (field.type === 'binary') return binaryColumn(input, binary, count, place)
  const data: TensorData = binary
    ? decodeBinaryData(binary, datatype, count, place)
    : decodeJsonData(input.data, datatype, count, place)
  try {
    return tensorToColumn({ type: ELEMENT_TYPE[datatype], data, dims: shape }, field.type)
  } catch (err) {
    if (err instanceof InvalidInput) {
      throw new InvalidInput(`input '${input.name}': ${err.message}`, { ...err.details, field: input.name })
    }
    throw err
  }
}

/** A tensor model's input: the whole tensor as the single value of a one-row column. */
function wholeTensorColumn(input: RequestInput, field: SchemaField, datatype: Datatype, binary: Uint8Array | undefined): arrow.Vector {
  const shape = input.shape
  const count = checkedElementCount(input, datatype, binary)
  const place: TensorPlace = { name: input.name, perRow: Math.max(count, 1) }
  const data: TensorData = binary
    ? decodeBinaryData(binary, datatype, count, place)
    : decodeJsonData(input.data, datatype, count, place)
  try {
    return tensorToColumn({ type: ELEMENT_TYPE[datatype], data, dims: [1, ...shape] }, field.type)
  } catch (err) {
    if (!(err instanceof InvalidInput)) throw err
    const want = `[${fieldDatatype(field)!.rowShape.join(', ')}]`
    throw new InvalidInput(
      `input '${input.name}' has shape [${shape.join(', ')}] but the model takes ${datatype} tensors of shape ${want} (-1: any size); it is served as whole tensors, without a batch axis`,
      { field: input.name, expected: want, got: `[${shape.join(', ')}]` },
    )
  }
}

function binaryColumn(input: RequestInput, binary: Uint8Array | undefined, count: number, place: TensorPlace): arrow.Vector {
  if (input.shape.length !== 1 && input.shape.slice(1).some((d) => d !== 1)) {
    throw new InvalidInput(`input '${input.name}' is a binary field and takes shape [rows] or [rows, 1], got [${input.shape.join(', ')}]`, { field: input.name })
  }
  const elements = binary
    ? splitBytesElements(binary, count, place)
    : (decodeJsonData(input.data, 'BYTES', count, place) as string[]).map((s) => Buffer.from(s, 'utf8'))
  const valueOffsets = new Int32Array(count + 1)
  for (let i = 0; i < count; i++) valueOffsets[i + 1] = valueOffsets[i]! + elements[i]!.byteLength
  const values = new Uint8Array(valueOffsets[count]!)
  for (let i = 0; i < count; i++) values.set(elements[i]!, valueOffsets[i]!)
  return arrow.makeVector(arrow.makeData({ type: new arrow.Binary(), length: count, nullCount: 0, valueOffsets, data: values }))
}

function isBytesList(data: TensorData | Uint8Array[]): data is Uint8Array[] {
  return Array.isArray(data) && (data.length === 0 || data[0] instanceof Uint8Array)
}

/** A binary column's values (null rows refused: a BYTES tensor has no nulls). */
function binaryElements(column: arrow.Vector, name: string): Uint8Array[] {
  const out = new Array<Uint8Array>(column.length)
  for (let i = 0; i < column.length; i++) {
    const v = column.get(i) as Uint8Array | null
    if (v === null) throw new Unsupported(`output '${name}' row ${i} is null, which a V2 BYTES tensor cannot carry; read it through /v1`)
    out[i] = v
  }
  return out
}

/** Binary output values as JSON strings: only UTF-8 text survives JSON unchanged. */
function bytesAsJsonText(elements: Uint8Array[], name: string): string[] {
  return elements.map((b, i) => {
    const bad = invalidUtf8At(b)
    if (bad >= 0) {
      throw new InvalidInput(
        `output '${name}' element ${i}: ${describeInvalidUtf8(b, bad)}, so JSON cannot carry it unchanged; ask for it as binary data (output parameter binary_data: true, or binary_data_output)`,
        { field: name, row: i, expected: 'binary_data output', got: 'bytes that are not UTF-8' },
      )
    }
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')
  })
}

export interface EncodedOutputs {
  outputs: ResponseOutput[]
  /** Binary extension payloads, in the order of the outputs that carry `binary_data_size`. */
  binary: Uint8Array[]
}

/**
 * The response outputs of a result table (its `out.*` columns), restricted and ordered by the
 * requested outputs when given. Outputs marked binary (per output `binary_data`, else the request's
 * `binary_data_output`) carry `binary_data_size` and their bytes go in `binary`.
 */
export function tableToOutputs(result: arrow.Table, req: Pick<InferenceRequest, 'outputs' | 'parameters'>, serving?: ServingMode): EncodedOutputs {
  const whole = serving?.mode === 'tensor' && result.numRows === 1
  const available = result.schema.fields.filter((f) => f.name.startsWith('out.')).map((f) => f.name.slice(4))
  const binaryDefault = req.parameters?.binary_data_output === true
  const wanted = req.outputs?.length
    ? req.outputs.map((o) => ({ name: o.name, binary: typeof o.parameters?.binary_data === 'boolean' ? o.parameters.binary_data : binaryDefault }))
    : available.map((name) => ({ name, binary: binaryDefault }))
  const outputs: ResponseOutput[] = []
  const binary: Uint8Array[] = []
  for (const w of wanted) {
    if (!available.includes(w.name)) {
      throw new InvalidInput(`unknown output '${w.name}'; the model's outputs are ${available.map((n) => `'${n}'`).join(', ')}`, {
        field: w.name, expected: available.join(', '), got: w.name,
      })
    }
    const column = result.getChild(`out.${w.name}`)!
    const tensor = columnTensor(column, w.name)
    const { datatype, data } = tensor
    const shape = whole ? tensor.shape.slice(1) : tensor.shape
    if (w.binary) {
      const bytes = isBytesList(data) ? encodeBytesElements(data) : encodeBinaryData(data, datatype)
      binary.push(bytes)
      outputs.push({ name: w.name, shape, datatype, parameters: { binary_data_size: bytes.byteLength } })
    } else {
      outputs.push({ name: w.name, shape, datatype, data: isBytesList(data) ? bytesAsJsonText(data, w.name) : encodeJsonData(data, datatype) })
    }
  }
  return { outputs, binary }
}

function columnTensor(column: arrow.Vector, name: string): { datatype: Datatype; data: TensorData | Uint8Array[]; shape: number[] } {
  if (column.type.typeId === arrow.Type.Binary) return { datatype: 'BYTES', data: binaryElements(column, name), shape: [column.length] }
  let tensor
  try {
    tensor = columnToTensor(column, name)
  } catch (err) {
    if (err instanceof InvalidInput) throw new Unsupported(`output '${name}' has no V2 tensor form: ${err.message}`)
    throw err
  }
  return { datatype: DATATYPE[tensor.type], data: tensor.data, shape: tensor.dims }
}
