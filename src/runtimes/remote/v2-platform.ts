/**
 * The Open Inference Protocol (KServe V2) as a client: the endpoint URL is a model's URL
 * (`…/v2/models/NAME[/versions/V]`); rows go out as one tensor per input field with the batch as
 * the first axis, and each output tensor comes back as a column, written straight into a typed
 * array (no per-row objects). Schemas left out at upload are read from the model's metadata.
 */
import * as arrow from 'apache-arrow'
import { type SchemaField, typeLabel } from '../../data/schema.js'
import { allocateTensorData, columnToTensor, fieldTensorShape, tensorFieldType, tensorToData, type TensorElementType } from '../../data/tensor.js'
import { InvalidInput, RuntimeFailure, Unsupported } from '../../errors.js'
import type { EndpointSpec } from './endpoint.js'
import type { EndpointSchemas, FetchInferenceRequest, ModelPlatform } from './model-platform.js'
import type { RemoteCall } from './remote-call.js'

const DATATYPE: Readonly<Record<TensorElementType, string>> = {
  bool: 'BOOL', int8: 'INT8', int16: 'INT16', int32: 'INT32', int64: 'INT64', uint8: 'UINT8', uint16: 'UINT16',
  uint32: 'UINT32', uint64: 'UINT64', float16: 'FP16', float32: 'FP32', float64: 'FP64', string: 'BYTES',
}
const ELEMENT = Object.fromEntries(Object.entries(DATATYPE).map(([t, d]) => [d, t])) as Record<string, TensorElementType>

interface V2Tensor {
  name: string
  datatype: string
  shape: number[]
  data?: unknown[]
}

export class V2Platform implements ModelPlatform {
  readonly name = 'v2'

  async fetchInference(req: FetchInferenceRequest): Promise<unknown> {
    const inputs = req.inputSchema.map((f) => encodeInput(f, req.input.getChild(f.name)!))
    const body = { inputs, outputs: req.outputSchema.map((f) => ({ name: f.name })) }
    const answer = await req.call({ path: '/infer', body, signal: req.signal })
    const outputs = (answer as { outputs?: unknown }).outputs
    if (!Array.isArray(outputs)) throw new RuntimeFailure(`${req.endpoint.url}/infer answered no "outputs" array`)
    const columns: Record<string, arrow.Vector> = {}
    for (const f of req.outputSchema) {
      const out = (outputs as V2Tensor[]).find((o) => o?.name === f.name)
      if (!out) throw new RuntimeFailure(`${req.endpoint.url}/infer answered no output '${f.name}' (got ${(outputs as V2Tensor[]).map((o) => o?.name).join(', ') || 'none'})`, { field: f.name })
      columns[f.name] = decodeOutput(f, out, req.input.numRows)
    }
    return new arrow.Table(columns)
  }

  async describeEndpoint(endpoint: EndpointSpec, call: RemoteCall): Promise<EndpointSchemas> {
    const meta = (await call({ method: 'GET' })) as { inputs?: V2Tensor[]; outputs?: V2Tensor[] }
    if (!Array.isArray(meta.inputs) || !Array.isArray(meta.outputs)) {
      throw new InvalidInput(`${endpoint.url} answered no V2 model metadata (inputs and outputs); give --input-schema and --output-schema`, { field: 'url', got: endpoint.url })
    }
    return { input_schema: meta.inputs.map((t) => metadataField(t, endpoint)), output_schema: meta.outputs.map((t) => metadataField(t, endpoint)) }
  }
}

function metadataField(t: V2Tensor, endpoint: EndpointSpec): SchemaField {
  const type = ELEMENT[t.datatype]
  if (!type || !Array.isArray(t.shape) || t.shape.length === 0) {
    throw new InvalidInput(`${endpoint.url} describes tensor '${t.name}' as ${t.datatype} ${JSON.stringify(t.shape)}, which has no row axis Quiver can map; give the schemas`, { field: t.name })
  }
  return { name: t.name, type: tensorFieldType(type, t.shape.slice(1).map((d) => (d < 0 ? null : d))), nullable: false }
}

function encodeInput(f: SchemaField, column: arrow.Vector): V2Tensor {
  const shape = fieldTensorShape(f.type)
  if (!shape || shape.type === 'float16') throw new Unsupported(`field '${f.name}' (${typeLabel(f.type)}) cannot be sent as an Open Inference Protocol tensor`)
  const t = columnToTensor(column, f.name)
  const data = t.type === 'bool' ? Array.from(t.data as Uint8Array, (x) => x !== 0) : Array.from(t.data as ArrayLike<unknown>)
  return { name: f.name, datatype: DATATYPE[t.type], shape: t.dims, data }
}

function decodeOutput(f: SchemaField, out: V2Tensor, rows: number): arrow.Vector {
  const want = fieldTensorShape(f.type)
  if (!want) throw new Unsupported(`output field '${f.name}' (${typeLabel(f.type)}) cannot come back as an Open Inference Protocol tensor`)
  const type = ELEMENT[out.datatype]
  if (type !== want.type) {
    throw new RuntimeFailure(`the remote answered output '${f.name}' as ${out.datatype}; its output schema expects ${DATATYPE[want.type]} (${typeLabel(f.type)})`, {
      field: f.name, expected: DATATYPE[want.type], got: String(out.datatype),
    })
  }
  const shape = out.shape
  if (!Array.isArray(shape) || shape.length === 0 || shape[0] !== rows) {
    throw new RuntimeFailure(`the remote answered output '${f.name}' with shape ${JSON.stringify(shape)} for ${rows} input rows; every input row must yield exactly one output row`, {
      field: f.name, expected: `[${rows}, …]`, got: JSON.stringify(shape),
    })
  }
  const count = shape.reduce((a, b) => a * b, 1)
  const values = out.data ?? []
  if (!Array.isArray(values) || values.length !== count) {
    throw new RuntimeFailure(`the remote answered ${Array.isArray(values) ? values.length : 'no'} values for output '${f.name}' of shape ${JSON.stringify(shape)} (${count} values)`, { field: f.name })
  }
  const data = fill(type, values, f.name, count / rows)
  return arrow.makeVector(tensorToData({ type, data, dims: shape }, f.type))
}

function fill(type: TensorElementType, values: unknown[], field: string, perRow: number) {
  const data = allocateTensorData(type, values.length)
  const bad = (i: number, want: string) => new RuntimeFailure(
    `the remote answered ${JSON.stringify(values[i])} at row ${Math.floor(i / perRow)} of output '${field}'; expected ${want}`,
    { field, row: Math.floor(i / perRow), expected: want, got: JSON.stringify(values[i]) },
  )
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (type === 'string') {
      if (typeof v !== 'string') throw bad(i, 'a string')
      ;(data as string[])[i] = v
    } else if (type === 'bool') {
      if (typeof v !== 'boolean') throw bad(i, 'a boolean')
      ;(data as Uint8Array)[i] = v ? 1 : 0
    } else if (type === 'int64' || type === 'uint64') {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(i, 'an integer')
      ;(data as BigInt64Array)[i] = BigInt(v)
    } else if (type !== 'float32' && type !== 'float64') {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(i, 'an integer')
      ;(data as Int32Array)[i] = v
    } else {
      if (typeof v !== 'number') throw bad(i, 'a number')
      ;(data as Float64Array)[i] = v
    }
  }
  return data
}
