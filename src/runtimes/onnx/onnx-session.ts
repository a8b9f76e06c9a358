import * as arrow from 'apache-arrow'
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import { InvalidInput, RuntimeFailure, errorMessage, isQuiverError } from '../../errors.js'
import { toArrowSchema, typeLabel } from '../../data/schema.js'
import type { ModelSchema } from '../../data/schema.js'
import { allocateTensorData, columnToTensor, fieldTensorShape, tensorToData } from '../../data/tensor.js'
import type { TensorData, TensorView } from '../../data/tensor.js'
import type { ServingMode } from '../../records/version-record.js'
import type { InferOptions, Session } from '../runtime.js'
import { describe } from './onnx-signature.js'
import type { OnnxSignature, TensorBinding } from './onnx-signature.js'
import type { OnnxThreadPool, WireTensor } from './onnx-thread-pool.js'

type TensorClass = new (type: Tensor.Type, data: TensorData, dims: readonly number[]) => Tensor

/** Where runs go: runs of at least `minElements` input values go to `pool`, smaller ones stay. */
export interface ThreadPlan {
  pool: OnnxThreadPool
  minElements: number
}

/** What one run returns per output: onnxruntime's tensor, or its copy back from a thread. */
interface RunOutput {
  readonly data: unknown
  readonly dims: readonly number[]
}

/**
 * One loaded ONNX model: one onnxruntime session, fed with typed-array views over the input
 * table's Arrow buffers; outputs become Arrow columns over onnxruntime's result arrays. Small runs
 * execute on the calling thread, where a hop would cost more than the run; large ones in the
 * model's worker threads, so that they never hold up the event loop.
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
  #threads: ThreadPlan | null
  #onClose: (() => void) | undefined
  #closed = false

  constructor(
    ort: InferenceSession, tensorClass: TensorClass, signature: OnnxSignature, model: string,
    threads: ThreadPlan | null = null, onClose?: () => void,
  ) {
    this.#ort = ort
    this.#threads = threads
    this.#onClose = onClose
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

  get serving(): ServingMode {
    return this.#signature.serving
  }

  /** Worker threads this model has running now (they start with the first large run). */
  get threadCount(): number {
    return this.#threads?.pool.threadCount ?? 0
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
    if (this.#signature.serving.mode === 'tensor') return this.#inferTensors(columns, rows, opts)
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
      const feeds = this.#signature.inputs.map((b, i): WireTensor => {
        const t = step === rows ? tensors[i]! : sliceRows(tensors[i]!, start, step)
        checkStrings(b, t, start)
        return { name: b.graphName, type: b.type, data: t.data, dims: this.#feedDims(b, t) }
      })
      const results = await this.#run(feeds)
      batches.push(this.#batch(this.#signature.outputs.map((b, i) => this.#column(i, results[b.graphName], step)), step))
    }
    return new arrow.Table(batches)
  }

  /** Tensor mode: each row is one run, each field of it one whole tensor. */
  async #inferTensors(columns: arrow.Vector[], rows: number, opts?: InferOptions): Promise<arrow.Table> {
    const batches: arrow.RecordBatch[] = []
    for (let row = 0; row < rows; row++) {
      opts?.signal?.throwIfAborted()
      const feeds = this.#signature.inputs.map((b, i): WireTensor => {
        const t = columnToTensor(columns[i]!.slice(row, row + 1), b.field.name, row)
        checkStrings(b, t, row)
        return { name: b.graphName, type: b.type, data: t.data, dims: this.#wholeDims(b, t, row) }
      })
      const results = await this.#run(feeds)
      batches.push(this.#batch(this.#signature.outputs.map((b, i) => this.#wholeColumn(i, results[b.graphName], row)), 1))
    }
    return new arrow.Table(batches)
  }

  /** The dims to feed a row's whole tensor with: the graph's own when fixed (same element count), else its own. */
  #wholeDims(b: TensorBinding, t: TensorView, row: number): number[] {
    const dims = t.dims.slice(1)
    const g = b.graphDims
    if (t.type !== b.type) {
      throw new InvalidInput(`field '${b.field.name}' holds ${t.type} values but graph input '${b.graphName}' takes ${b.type}`, {
        field: b.field.name, row, expected: b.type, got: t.type,
      })
    }
    if (g === null) return dims
    if (g.every((d) => d !== null)) {
      if (product(g as number[]) === product(dims)) return g as number[]
    } else if (g.length === dims.length && g.every((d, i) => d === null || d === dims[i])) {
      return dims
    }
    const want = describe({ type: b.type, shape: g }, true)
    throw new InvalidInput(
      `field '${b.field.name}' row ${row} holds a tensor of shape [${dims.join(', ')}] but graph input '${b.graphName}' takes ${want}`,
      { field: b.field.name, row, expected: want, got: `[${dims.join(', ')}]` },
    )
  }

  #wholeColumn(index: number, out: RunOutput | undefined, row: number): arrow.Data {
    const b = this.#signature.outputs[index]!
    if (!out) throw new RuntimeFailure(`model '${this.#model}' returned no output '${b.graphName}'`)
    const dims = out.dims.map(Number)
    try {
      return tensorToData({ type: b.type, data: out.data as TensorData, dims: [1, ...dims] }, b.field.type, this.#arrowSchema.fields[index]!.type)
    } catch (err) {
      if (!isQuiverError(err)) throw err
      throw new RuntimeFailure(
        `model '${this.#model}' output '${b.graphName}' for row ${row} is a tensor of shape [${dims.join(', ')}], which does not fit field '${b.field.name}' (${typeLabel(b.field.type)})`,
        { ...err.details, field: b.field.name, row }, { cause: err },
      )
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#onClose?.()
    await Promise.all([this.#ort.release(), this.#threads?.pool.close()])
  }

  async #run(feeds: WireTensor[]): Promise<Record<string, RunOutput | undefined>> {
    try {
      const threads = this.#threads
      if (threads && elementCount(feeds) >= threads.minElements) return await threads.pool.run(feeds, this.#fetches)
      const tensors: Record<string, Tensor> = {}
      for (const f of feeds) tensors[f.name] = new this.#Tensor(f.type, f.data, f.dims)
      return await this.#ort.run(tensors, this.#fetches)
    } catch (err) {
      if (isQuiverError(err)) throw err
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

  #column(index: number, out: RunOutput | undefined, rows: number): arrow.Data {
    const b = this.#signature.outputs[index]!
    const name = b.graphName
    if (!out) throw new RuntimeFailure(`model '${this.#model}' returned no output '${name}'`)
    const dims = out.dims.map(Number)
    if (dims.length === 0 || dims[0] !== rows) {
      throw new RuntimeFailure(
        `model '${this.#model}' returned ${dims.length === 0 ? 'a scalar' : `${dims[0]} row(s)`} in output '${name}' for ${rows} input row(s): ` +
          `its graph declares the first axis as rows, but this output does not keep one row per input row, so the model cannot be served row by row`,
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

/**
 * onnxruntime-node passes strings to the runtime as C strings, so a NUL would silently end one;
 * such a value is refused instead. `rowBase` is the row of the tensor's first element.
 */
function checkStrings(b: TensorBinding, t: TensorView, rowBase: number): void {
  if (t.type !== 'string') return
  const strings = t.data as string[]
  const perRow = Math.max(1, product(t.dims.slice(1)))
  for (let i = 0; i < strings.length; i++) {
    if (!strings[i]!.includes('\0')) continue
    const row = rowBase + Math.floor(i / perRow)
    throw new InvalidInput(
      `field '${b.field.name}' element ${i % perRow} of row ${row} holds a NUL character, which onnxruntime-node cannot pass to graph input '${b.graphName}' (it would end the string there)`,
      { field: b.field.name, row, expected: 'strings without NUL', got: `NUL at character ${strings[i]!.indexOf('\0')}` },
    )
  }
}

function product(xs: readonly number[]): number {
  return xs.reduce((a, d) => a * d, 1)
}

function elementCount(feeds: readonly WireTensor[]): number {
  let n = 0
  for (const f of feeds) n += f.data.length
  return n
}

function sliceRows(t: TensorView, start: number, count: number): TensorView {
  const perRow = t.dims.slice(1).reduce((a, d) => a * d, 1)
  const data = Array.isArray(t.data) ? t.data.slice(start * perRow, (start + count) * perRow) : t.data.subarray(start * perRow, (start + count) * perRow)
  return { type: t.type, data: data as TensorData, dims: [count, ...t.dims.slice(1)] }
}

export function firstLine(message: string): string {
  return message.split('\n')[0]!.trim()
}
