/**
 * Binds Quiver schema fields to an ONNX graph's inputs and outputs: decides whether the graph's
 * tensors share one row axis (batch mode) or not (tensor mode), derives the schemas from the graph
 * when the version has none, or checks given schemas against it.
 */
import { InvalidInput, Unsupported } from '../../errors.js'
import { typeLabel } from '../../data/schema.js'
import type { ModelSchema, SchemaField } from '../../data/schema.js'
import { TENSOR_ELEMENT_TYPES, fieldTensorShape, tensorFieldType } from '../../data/tensor.js'
import type { TensorElementType } from '../../data/tensor.js'
import type { ServingMode } from '../../records/version-record.js'
import type { DeclaredShapes } from './onnx-graph-shapes.js'

/** What onnxruntime reports of one graph input or output (`InferenceSession.ValueMetadata`). */
export interface GraphValue {
  name: string
  isTensor: boolean
  type?: string
  shape?: ReadonlyArray<number | string>
}

/** One schema field and the graph tensor behind it. */
export interface TensorBinding {
  field: SchemaField
  graphName: string
  type: TensorElementType
  /**
   * Dims the graph declares for one field value (null = symbolic): per row in batch mode, the whole
   * tensor in tensor mode; null when the graph declares no shape.
   */
  graphDims: (number | null)[] | null
}

export interface OnnxSignature {
  inputs: TensorBinding[]
  outputs: TensorBinding[]
  /** Rows per run when the graph's first axis is a fixed size (e.g. 1); null when it is dynamic. */
  fixedBatch: number | null
  serving: ServingMode
}

export interface SignatureRequest {
  inputSchema: ModelSchema | null
  outputSchema: ModelSchema | null
  tensorFields?: string[]
}

interface GraphTensor {
  name: string
  type: TensorElementType
  /** Full declared shape including the batch axis (null dims are symbolic); null when undeclared. */
  shape: (number | null)[] | null
}

/**
 * Binds schemas to the graph. Outputs that are not tensors (sequences and maps, such as a
 * classifier's ZipMap) are left out of a derived output schema and refused only when named.
 */
export function planSignature(
  req: SignatureRequest, graphInputs: readonly GraphValue[], graphOutputs: readonly GraphValue[], declared?: DeclaredShapes,
): OnnxSignature {
  const ins = graphInputs.map((v) => graphTensor(v, 'input', declared))
  const names = inputNames(ins, req.tensorFields)
  let outs: GraphTensor[]
  if (req.outputSchema) {
    const wanted = new Set(req.outputSchema.map((f) => f.name))
    outs = graphOutputs.map((v) => (wanted.has(v.name) ? graphTensor(v, 'output', declared) : looseTensor(v)))
  } else {
    const tensors = graphOutputs.filter((v) => v.isTensor)
    if (tensors.length === 0) graphTensor(graphOutputs[0] ?? { name: '(none)', isTensor: false }, 'output')
    outs = tensors.map((v) => graphTensor(v, 'output', declared))
  }
  const fetched = req.outputSchema ? outs.filter((g) => req.outputSchema!.some((f) => f.name === g.name)) : outs
  const { serving, fixedBatch } = planServing(ins, fetched)
  const tensor = serving.mode === 'tensor'
  const inputs = req.inputSchema
    ? bindGiven(req.inputSchema, ins, names, 'input', tensor)
    : ins.map((g, i) => derive(g, names[i]!, 'input', tensor))
  const outputs = req.outputSchema
    ? bindGiven(req.outputSchema, outs, outs.map((g) => g.name), 'output', tensor)
    : outs.map((g) => derive(g, g.name, 'output', tensor))
  return { inputs, outputs, fixedBatch, serving }
}

/**
 * Batch mode when every declared input and output has a first axis, the inputs agree on it (all
 * variable, or all one fixed size) and the outputs follow it (a fixed batch of one may have outputs
 * of open length, as converters often write); otherwise tensor mode, with the first tensor that
 * broke the row axis as the reason.
 */
function planServing(ins: GraphTensor[], outs: GraphTensor[]): { serving: ServingMode; fixedBatch: number | null } {
  const reason = tensorReason(ins, outs)
  if (reason !== null) return { serving: { mode: 'tensor', reason }, fixedBatch: null }
  const fixed = ins.map((g) => g.shape?.[0]).filter((d): d is number => typeof d === 'number')
  const fixedBatch = fixed[0] ?? null
  return { serving: fixedBatch === null ? { mode: 'batch' } : { mode: 'batch', fixed_batch: fixedBatch }, fixedBatch }
}

function tensorReason(ins: GraphTensor[], outs: GraphTensor[]): string | null {
  if (ins.length === 0) return 'the graph takes no inputs, so it has no rows'
  const sides = [...ins.map((g) => ['input', g] as const), ...outs.map((g) => ['output', g] as const)]
  for (const [side, g] of sides) {
    if (g.shape?.length === 0) return `${side} '${g.name}' is a scalar (rank 0)`
  }
  for (const [side, g] of sides) {
    if (g.shape?.[0] === 0) return `${side} '${g.name}' has a zero-sized first axis`
  }
  const fixed = ins.filter((g) => typeof g.shape?.[0] === 'number')
  const variable = ins.filter((g) => g.shape !== null && g.shape[0] === null)
  const rows = fixed[0]?.shape![0] ?? null
  const other = fixed.find((g) => g.shape![0] !== rows)
  if (other) {
    return `inputs '${fixed[0]!.name}' and '${other.name}' have fixed first axes of different sizes (${rows} and ${other.shape![0]}), as weights or broadcast partners do`
  }
  if (rows !== null && variable.length > 0) {
    return `input '${fixed[0]!.name}' has a fixed first axis of ${rows} while input '${variable[0]!.name}' has a variable one, as weights or broadcast partners do`
  }
  for (const g of outs) {
    if (g.shape === null) continue
    const first = g.shape[0]
    if (typeof first === 'number') {
      if (rows !== null && first !== rows) return `output '${g.name}' has a first axis of ${first} where the inputs have ${rows} rows`
      if (rows === null && variable.length > 0) return `output '${g.name}' has a fixed first axis of ${first} while the inputs' first axis is variable`
    } else if (rows !== null && rows > 1) {
      // Inputs fixed at several rows and an output of open length: it selects or reshapes (Compress, Unique).
      return `output '${g.name}' has a variable first axis where the inputs have a fixed ${rows} rows`
    }
  }
  return null
}

/** A graph output that is not fetched: only its name matters. */
function looseTensor(v: GraphValue): GraphTensor {
  return { name: v.name, type: (v.type ?? 'float32') as TensorElementType, shape: null }
}

function graphTensor(v: GraphValue, side: string, declared?: DeclaredShapes): GraphTensor {
  if (!v.isTensor) {
    throw new Unsupported(`graph ${side} '${v.name}' is not a tensor (a sequence or map); Quiver's ONNX runtime reads and writes tensors only`)
  }
  if (!(TENSOR_ELEMENT_TYPES as readonly string[]).includes(v.type ?? '')) {
    throw new Unsupported(`graph ${side} '${v.name}' has element type ${v.type}, which Quiver cannot map to an Arrow type; supported: ${TENSOR_ELEMENT_TYPES.join(', ')}`)
  }
  // onnxruntime reports an undeclared shape as [], like a scalar's; the model file tells them apart.
  const own = declared?.get(v.name)
  const dims = own !== undefined ? own : v.shape && v.shape.length > 0 ? v.shape : null
  const shape = dims === null ? null : dims.map((d) => (typeof d === 'number' && d >= 0 ? d : null))
  return { name: v.name, type: v.type as TensorElementType, shape }
}

function inputNames(ins: GraphTensor[], tensorFields: string[] | undefined): string[] {
  const graphNames = ins.map((g) => g.name)
  if (!tensorFields) return graphNames
  if (tensorFields.length !== ins.length) {
    throw new InvalidInput(
      `tensor_fields names ${tensorFields.length} field(s) but the graph has ${ins.length} input(s) (${quoteAll(graphNames)})`,
      { field: 'tensor_fields', expected: `${ins.length} names`, got: `${tensorFields.length} names` },
    )
  }
  const seen = new Set<string>()
  for (const n of tensorFields) {
    if (typeof n !== 'string' || n.length === 0) throw new InvalidInput(`tensor_fields must be non-empty strings, got ${JSON.stringify(n)}`, { field: 'tensor_fields' })
    if (seen.has(n)) throw new InvalidInput(`tensor_fields names '${n}' twice`, { field: 'tensor_fields' })
    seen.add(n)
  }
  return tensorFields
}

function derive(g: GraphTensor, name: string, side: string, tensor: boolean): TensorBinding {
  if (g.shape === null) {
    throw new InvalidInput(`graph ${side} '${g.name}' declares no shape, so its schema cannot be read from the model; give an ${side} schema`, { field: name })
  }
  const graphDims = tensor ? g.shape : g.shape.slice(1)
  // A zero-sized axis becomes a variable list: schemas have no lists of size 0.
  const field = { name, type: tensorFieldType(g.type, graphDims.map((d) => (d === 0 ? null : d))), nullable: false }
  return { field, graphName: g.name, type: g.type, graphDims }
}

function bindGiven(schema: ModelSchema, graph: GraphTensor[], names: string[], side: 'input' | 'output', tensor: boolean): TensorBinding[] {
  const bindings = schema.map((field) => {
    const at = names.indexOf(field.name)
    if (at < 0) {
      const renamed = side === 'input' && names.some((n, i) => n !== graph[i]!.name) ? ' (after tensor_fields)' : ''
      throw new InvalidInput(
        `${side} schema field '${field.name}' is not an ${side} of the graph; its ${side}s are ${quoteAll(names)}${renamed}`,
        { field: field.name, expected: quoteAll(names), got: field.name },
      )
    }
    const g = graph[at]!
    checkFits(field, g, side, tensor)
    return { field, graphName: g.name, type: g.type, graphDims: (tensor ? g.shape : g.shape?.slice(1)) ?? null }
  })
  if (side === 'input') {
    const missing = names.findIndex((n) => !schema.some((f) => f.name === n))
    if (missing >= 0) {
      const g = graph[missing]!
      throw new InvalidInput(
        `input schema lacks field '${names[missing]}' for graph input '${g.name}' (${describe(g, tensor)}); every graph input needs a field`,
        { field: names[missing], expected: describe(g, tensor), got: 'no field' },
      )
    }
  }
  return bindings
}

function checkFits(field: SchemaField, g: GraphTensor, side: string, tensor: boolean): void {
  const shape = fieldTensorShape(field.type)
  const fail = () => {
    const mode = tensor ? ' (served as whole tensors per call: its tensors share no row axis)' : ''
    throw new InvalidInput(
      `${side} schema field '${field.name}' is ${typeLabel(field.type)} but graph ${side} '${g.name}' is ${describe(g, tensor)}${mode}`,
      { field: field.name, expected: describe(g, tensor), got: typeLabel(field.type) },
    )
  }
  if (shape === null || shape.type !== g.type) fail()
  if (g.shape === null) return
  const graphDims = tensor ? g.shape : g.shape.slice(1)
  const schemaDims = shape!.dims
  if (graphDims.every((d) => d !== null) && schemaDims.every((d) => d !== null)) {
    // Same element count per row is enough: [batch, 2, 2] is fed from list<float32>[4] as is.
    if (product(graphDims as number[]) !== product(schemaDims as number[])) fail()
    return
  }
  if (graphDims.length !== schemaDims.length) fail()
  graphDims.forEach((d, i) => {
    if (d !== null && schemaDims[i] !== null && d !== schemaDims[i]) fail()
  })
}

/** `float32 [batch, 4]`: a graph tensor as error messages show it (no batch axis for a whole tensor). */
export function describe(g: { type: string; shape: (number | null)[] | null }, whole = false): string {
  if (g.shape === null) return `${g.type} tensors (shape not declared)`
  return `${g.type} tensors of shape [${g.shape.map((d, i) => d ?? (i === 0 && !whole ? 'batch' : '?')).join(', ')}]`
}

function product(xs: number[]): number {
  return xs.reduce((a, b) => a * b, 1)
}

function quoteAll(xs: string[]): string {
  return xs.map((x) => `'${x}'`).join(', ')
}
