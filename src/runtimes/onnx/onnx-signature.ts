/**
 * Binds Quiver schema fields to an ONNX graph's inputs and outputs: derives the schemas from the
 * graph when the version has none, or checks given schemas against it, and finds the batch axis.
 */
import { InvalidInput, Unsupported } from '../../errors.js'
import { typeLabel } from '../../data/schema.js'
import type { ModelSchema, SchemaField } from '../../data/schema.js'
import { TENSOR_ELEMENT_TYPES, fieldTensorShape, tensorFieldType } from '../../data/tensor.js'
import type { TensorElementType } from '../../data/tensor.js'

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
  /** Per-row dims the graph declares (null = symbolic), or null when it declares no shape. */
  graphDims: (number | null)[] | null
}

export interface OnnxSignature {
  inputs: TensorBinding[]
  outputs: TensorBinding[]
  /** Rows per run when the graph's first axis is a fixed size (e.g. 1); null when it is dynamic. */
  fixedBatch: number | null
}

export interface SignatureRequest {
  inputSchema: ModelSchema | null
  outputSchema: ModelSchema | null
  tensorFields?: string[]
}

interface GraphTensor {
  name: string
  type: TensorElementType
  /** Full declared shape including the batch axis; null when undeclared. */
  shape: (number | null)[] | null
}

/**
 * Binds schemas to the graph. Outputs that are not tensors (sequences and maps, such as a
 * classifier's ZipMap) are left out of a derived output schema and refused only when named.
 */
export function planSignature(req: SignatureRequest, graphInputs: readonly GraphValue[], graphOutputs: readonly GraphValue[]): OnnxSignature {
  const ins = graphInputs.map((v) => graphTensor(v, 'input'))
  const names = inputNames(ins, req.tensorFields)
  const inputs = req.inputSchema
    ? bindGiven(req.inputSchema, ins, names, 'input')
    : ins.map((g, i) => derive(g, names[i]!, 'input'))
  let outputs: TensorBinding[]
  if (req.outputSchema) {
    const wanted = new Set(req.outputSchema.map((f) => f.name))
    const outs = graphOutputs.map((v) => (wanted.has(v.name) ? graphTensor(v, 'output') : looseTensor(v)))
    outputs = bindGiven(req.outputSchema, outs, outs.map((g) => g.name), 'output')
  } else {
    const tensors = graphOutputs.filter((v) => v.isTensor)
    if (tensors.length === 0) graphTensor(graphOutputs[0] ?? { name: '(none)', isTensor: false }, 'output')
    outputs = tensors.map((v) => graphTensor(v, 'output')).map((g) => derive(g, g.name, 'output'))
  }
  return { inputs, outputs, fixedBatch: fixedBatch(ins) }
}

/** A graph output that is not fetched: only its name matters. */
function looseTensor(v: GraphValue): GraphTensor {
  return { name: v.name, type: (v.type ?? 'float32') as TensorElementType, shape: null }
}

function graphTensor(v: GraphValue, side: string): GraphTensor {
  if (!v.isTensor) {
    throw new Unsupported(`graph ${side} '${v.name}' is not a tensor (a sequence or map); Quiver's ONNX runtime reads and writes tensors only`)
  }
  if (!(TENSOR_ELEMENT_TYPES as readonly string[]).includes(v.type ?? '')) {
    throw new Unsupported(`graph ${side} '${v.name}' has element type ${v.type}, which Quiver cannot map to an Arrow type; supported: ${TENSOR_ELEMENT_TYPES.join(', ')}`)
  }
  const shape = v.shape && v.shape.length > 0 ? v.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : null)) : null
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

function derive(g: GraphTensor, name: string, side: string): TensorBinding {
  if (g.shape === null) {
    throw new InvalidInput(`graph ${side} '${g.name}' declares no shape, so its schema cannot be read from the model; give an ${side} schema`, { field: name })
  }
  const graphDims = g.shape.slice(1)
  const field = { name, type: tensorFieldType(g.type, graphDims), nullable: false }
  return { field, graphName: g.name, type: g.type, graphDims }
}

function bindGiven(schema: ModelSchema, graph: GraphTensor[], names: string[], side: 'input' | 'output'): TensorBinding[] {
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
    checkFits(field, g, side)
    return { field, graphName: g.name, type: g.type, graphDims: g.shape?.slice(1) ?? null }
  })
  if (side === 'input') {
    const missing = names.findIndex((n) => !schema.some((f) => f.name === n))
    if (missing >= 0) {
      const g = graph[missing]!
      throw new InvalidInput(
        `input schema lacks field '${names[missing]}' for graph input '${g.name}' (${describe(g)}); every graph input needs a field`,
        { field: names[missing], expected: describe(g), got: 'no field' },
      )
    }
  }
  return bindings
}

function checkFits(field: SchemaField, g: GraphTensor, side: string): void {
  const shape = fieldTensorShape(field.type)
  const fail = () => {
    throw new InvalidInput(
      `${side} schema field '${field.name}' is ${typeLabel(field.type)} but graph ${side} '${g.name}' is ${describe(g)}`,
      { field: field.name, expected: describe(g), got: typeLabel(field.type) },
    )
  }
  if (shape === null || shape.type !== g.type) fail()
  if (g.shape === null) return
  const graphDims = g.shape.slice(1)
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

function fixedBatch(ins: GraphTensor[]): number | null {
  let fixed: number | null = null
  for (const g of ins) {
    const first = g.shape?.[0]
    if (typeof first !== 'number') continue
    if (fixed !== null && fixed !== first) {
      throw new Unsupported(`graph inputs disagree on a fixed batch size (${fixed} and ${first} for '${g.name}'); Quiver needs one row axis`)
    }
    if (first === 0) throw new Unsupported(`graph input '${g.name}' has a batch axis of size 0`)
    fixed = first
  }
  return fixed
}

/** `float32 [batch, 4]`: a graph tensor as error messages show it. */
export function describe(g: { type: string; shape: (number | null)[] | null }): string {
  if (g.shape === null) return `${g.type} tensors (shape not declared)`
  return `${g.type} tensors of shape [${g.shape.map((d, i) => d ?? (i === 0 ? 'batch' : '?')).join(', ')}]`
}

function product(xs: number[]): number {
  return xs.reduce((a, b) => a * b, 1)
}

function quoteAll(xs: string[]): string {
  return xs.map((x) => `'${x}'`).join(', ')
}
