import * as arrow from 'apache-arrow'
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import { InvalidInput, RuntimeFailure, errorMessage, isQuiverError } from '../../errors.js'
import { toArrowSchema } from '../../data/schema.js'
import type { ModelSchema } from '../../data/schema.js'
import { allocateTensorData, columnToTensor, fieldTensorShape, tensorToData } from '../../data/tensor.js'
import type { TensorData, TensorView } from '../../data/tensor.js'
import type { InferOptions, Session } from '../runtime.js'
import { describe } from './onnx-signature.js'
import type { OnnxSignature, TensorBinding } from './onnx-signature.js'

type TensorClass = new (type: Tensor.Type, data: TensorData, dims: readonly number[]) => Tensor

/**
 * One loaded ONNX model: one onnxruntime session, fed with typed-array views over the input
 * table's Arrow buffers; outputs become Arrow columns over onnxruntime's result arrays.
 */
export class OnnxSession implements Session {
  readonly inputSchema: ModelSchema
  readonly outputSchema: ModelSchema
  #ort: InferenceSession
  #Tensor: TensorClass
  #signature: OnnxSignature
  #model: string
  #arrowSchema: arrow.Schema
  #structType: arrow.Struct
  #fetches: string[]
  #closed = false

  constructor(ort: InferenceSession, tensorClass: TensorClass, signature: OnnxSignature, model: string) {
    this.#ort = ort
    this.#Tensor = tensorClass
    this.#signature = signature
    this.#model = model
    this.inputSchema = Object.freeze(signature.inputs.map((b) => b.field)) as ModelSchema
    this.outputSchema = Object.freeze(signature.outputs.map((b) => b.field)) as ModelSchema
    this.#arrowSchema = toArrowSchema(this.outputSchema)
    this.#structType = new arrow.Struct(this.#arrowSchema.fields)
    this.#fetches = signature.outputs.map((b) => b.graphName)
  }

  /** Rows per onnxruntime run when the graph fixes its batch axis, else null. */
  get fixedBatch(): number | null {
    return this.#signature.fixedBatch
  }

  async infer(input: arrow.Table, opts?: InferOptions): Promise<arrow.Table> {
    if (this.#closed) throw new RuntimeFailure(`model '${this.#model}' was unloaded`)
    const rows = input.numRows
    const columns = this.#signature.inputs.map((b) => {
      const col = input.getChild(b.field.name)
      if (!col) throw new InvalidInput(`input has no field '${b.field.name}'`, { field: b.field.name, expected: 'a column', got: 'none' })
      return col
    })
    if (rows === 0) return new arrow.Table([this.#batch([], 0)])
    const step = this.#signature.fixedBatch ?? rows
    if (rows % step !== 0) {
      throw new InvalidInput(
        `model '${this.#model}' runs exactly ${step} rows at a time (its graph fixes the batch axis) and ${rows} rows is not a multiple of ${step}`,
        { expected: `a multiple of ${step} rows`, got: `${rows} rows` },
      )
    }
    // A whole-table run feeds one view per column; a fixed batch slices (still views) per run.
    const tensors = columns.map((col, i) => columnToTensor(col, this.#signature.inputs[i]!.field.name))
    const batches: arrow.RecordBatch[] = []
    for (let start = 0; start < rows; start += step) {
      opts?.signal?.throwIfAborted()
      const feeds: Record<string, Tensor> = {}
      this.#signature.inputs.forEach((b, i) => {
        const t = step === rows ? tensors[i]! : sliceRows(tensors[i]!, start, step)
        feeds[b.graphName] = new this.#Tensor(b.type, t.data, this.#feedDims(b, t))
      })
      const results = await this.#run(feeds)
      batches.push(this.#batch(this.#signature.outputs.map((b, i) => this.#column(i, results[b.graphName], step)), step))
    }
    return new arrow.Table(batches)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#ort.release()
  }

  async #run(feeds: Record<string, Tensor>): Promise<InferenceSession.ReturnType> {
    try {
      return await this.#ort.run(feeds, this.#fetches)
    } catch (err) {
      throw new RuntimeFailure(`model '${this.#model}' failed in onnxruntime: ${firstLine(errorMessage(err))}`, undefined, { cause: err })
    }
  }

  #feedDims(b: TensorBinding, t: TensorView): number[] {
    const [rows, ...rowDims] = t.dims
    const field = b.field.name
    if (t.type !== b.type) {
      throw new InvalidInput(`field '${field}' holds ${t.type} values but graph input '${b.graphName}' takes ${b.type}`, {
        field, expected: b.type, got: t.type,
      })
    }
    const g = b.graphDims
    if (g === null) return t.dims
    if (g.every((d) => d !== null)) {
      // The graph's own per-row shape: list<float32>[4] may feed a [batch, 2, 2] input.
      const want = (g as number[]).reduce((a, d) => a * d, 1)
      const got = rowDims.reduce((a, d) => a * d, 1)
      if (want === got) return [rows!, ...(g as number[])]
    } else if (g.length === rowDims.length && g.every((d, i) => d === null || d === rowDims[i])) {
      return t.dims
    }
    throw new InvalidInput(
      `field '${field}' has per-row shape [${rowDims.join(', ')}] but graph input '${b.graphName}' takes ${describe({ type: b.type, shape: [null, ...g] })}`,
      { field, expected: describe({ type: b.type, shape: [null, ...g] }), got: `[${rowDims.join(', ')}]` },
    )
  }

  #column(index: number, out: Tensor | undefined, rows: number): arrow.Data {
    const b = this.#signature.outputs[index]!
    const name = b.graphName
    if (!out) throw new RuntimeFailure(`model '${this.#model}' returned no output '${name}'`)
    const dims = out.dims.map(Number)
    if (dims.length === 0 || dims[0] !== rows) {
      throw new RuntimeFailure(
        `model '${this.#model}' returned ${dims.length === 0 ? 'a scalar' : `${dims[0]} row(s)`} in output '${name}' for ${rows} input row(s); every input row must yield one output row`,
        { field: b.field.name, expected: `${rows} rows`, got: `shape [${dims.join(', ')}]` },
      )
    }
    try {
      return tensorToData({ type: b.type, data: out.data as TensorData, dims }, b.field.type, this.#arrowSchema.fields[index]!.type)
    } catch (err) {
      if (!isQuiverError(err)) throw err
      throw new RuntimeFailure(`model '${this.#model}' output '${name}' does not match field '${b.field.name}': ${err.message}`, err.details, { cause: err })
    }
  }

  #batch(children: arrow.Data[], rows: number): arrow.RecordBatch {
    if (rows === 0) {
      children = this.#signature.outputs.map((b) => {
        const dims = [0, ...fieldTensorShape(b.field.type)!.dims.map((d) => d ?? 0)]
        return tensorToData({ type: b.type, data: allocateTensorData(b.type, 0), dims }, b.field.type)
      })
    }
    const struct = arrow.makeData({ type: this.#structType, length: rows, nullCount: 0, children })
    return new arrow.RecordBatch(this.#arrowSchema, struct)
  }
}

function sliceRows(t: TensorView, start: number, count: number): TensorView {
  const perRow = t.dims.slice(1).reduce((a, d) => a * d, 1)
  const data = Array.isArray(t.data) ? t.data.slice(start * perRow, (start + count) * perRow) : t.data.subarray(start * perRow, (start + count) * perRow)
  return { type: t.type, data: data as TensorData, dims: [count, ...t.dims.slice(1)] }
}

export function firstLine(message: string): string {
  return message.split('\n')[0]!.trim()
}
