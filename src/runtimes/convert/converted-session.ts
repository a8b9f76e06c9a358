import * as arrow from 'apache-arrow'
import { InvalidInput, RuntimeFailure } from '../../errors.js'
import { columnChunks, recordBatchOf, tableOf } from '../../data/arrow-fast.js'
import { toArrowSchema } from '../../data/schema.js'
import type { ModelSchema } from '../../data/schema.js'
import { columnToTensor } from '../../data/tensor.js'
import type { NumericTensorData } from '../../data/tensor.js'
import type { DerivedArtifact, InferOptions, Session } from '../runtime.js'
import type { ExtractedModel } from './build-native-model.js'
import type { ClassLabel, NativeModel, NativeOutputs, OutputRole } from './native-model.js'
import { outputData, outputValues } from './output-plan.js'
import type { OutputField } from './output-plan.js'
import { RowSplitPool } from './row-split-pool.js'
import type { SplitModel } from './row-split-pool.js'

const FLOAT32_MAX = 3.4028234663852886e38
/**
 * A batch is split across the row-split threads when it would take at least this long on one
 * thread: below it, posting to a thread and waking it (measured at ~30–60 µs a round trip) and
 * merging the parts cost more than the split saves.
 */
export const SPLIT_MIN_NS = 250_000

/**
 * The float values of a one-chunk, null-free, unsliced fixed-size list column of `n` per row
 * (the common case, read without the general tensor walk); null otherwise.
 */
function featureValues(chunks: readonly arrow.Data[], rows: number, n: number): Float64Array | Float32Array | null {
  if (chunks.length !== 1) return null
  const list = chunks[0]!
  const child = list.children?.[0]
  if (list.type.typeId !== arrow.Type.FixedSizeList || (list.type as arrow.FixedSizeList).listSize !== n || !child) return null
  if (list.offset !== 0 || child.offset !== 0 || list.nullCount !== 0 || child.nullCount !== 0) return null
  const values: unknown = child.values
  if (!(values instanceof Float64Array) && !(values instanceof Float32Array)) return null
  return values.length === rows * n ? values : values.subarray(0, rows * n)
}

/** A model converted to a native evaluator: Arrow in, typed-array loops, Arrow out. */
export class ConvertedSession implements Session {
  readonly inputSchema: ModelSchema
  readonly outputSchema: ModelSchema
  readonly model: NativeModel
  derived?: DerivedArtifact
  readonly #outputs: readonly OutputField[]
  readonly #roles: ReadonlySet<OutputRole>
  readonly #arrowSchema: arrow.Schema
  readonly #label: string
  /** sklearn trees cast features to float32 and refuse what does not fit. */
  readonly #float32Features: boolean
  /** The extracted model the row-split threads build their evaluator from (null: never split). */
  readonly #split: SplitModel | null
  /** Measured single-thread cost per row, ns (0 until the first batch). */
  #nsPerRow = 0
  #closed = false

  constructor(model: NativeModel, inputSchema: ModelSchema, outputSchema: ModelSchema, outputs: readonly OutputField[], label: string, float32Features: boolean, spec: ExtractedModel | null = null) {
    this.model = model
    this.inputSchema = inputSchema
    this.outputSchema = outputSchema
    this.#outputs = outputs
    this.#roles = new Set(outputs.map((o) => o.role))
    this.#arrowSchema = toArrowSchema(outputSchema)
    this.#label = label
    this.#float32Features = float32Features
    this.#split = spec ? { key: RowSplitPool.modelKey(), spec, model } : null
  }

  /** Output field → row-major values for `rows` rows of features. */
  evaluate(x: Float64Array, rows: number, float32Input: boolean): Map<string, Float64Array | ClassLabel[]> {
    return this.#values(this.model.run(x, rows, this.#roles, float32Input))
  }

  /** As {@link evaluate}, with the rows split across `pool`'s threads (identical outputs). */
  async evaluateSplit(x: Float64Array, rows: number, float32Input: boolean, pool: RowSplitPool): Promise<Map<string, Float64Array | ClassLabel[]>> {
    if (!this.#split) throw new RuntimeFailure(`${this.#label} has no extracted model to split across threads`)
    return this.#values(await pool.run(this.#split, x, rows, this.#roles, float32Input, (ns, part) => this.#learnCost(ns, part)))
  }

  #values(out: NativeOutputs): Map<string, Float64Array | ClassLabel[]> {
    return new Map(this.#outputs.map((o) => [o.field.name, outputValues(o, out, this.model)]))
  }

  /** Whether `rows` rows are worth splitting, by this model's measured cost per row. */
  #worthSplitting(rows: number, pool: RowSplitPool): boolean {
    return this.#split !== null && pool.threads > 0 && this.#nsPerRow > 0 && rows * this.#nsPerRow >= SPLIT_MIN_NS
  }

  #learnCost(ns: number, rows: number): void {
    if (rows <= 0) return
    const perRow = ns / rows
    this.#nsPerRow = this.#nsPerRow === 0 ? perRow : 0.8 * this.#nsPerRow + 0.2 * perRow
  }

  async infer(input: arrow.Table, opts?: InferOptions): Promise<arrow.Table> {
    if (this.#closed) throw new RuntimeFailure(`${this.#label} is closed`)
    opts?.signal?.throwIfAborted()
    const rows = input.numRows
    const name = this.inputSchema[0]!.name
    const k = input.schema.fields.findIndex((f) => f.name === name)
    if (k < 0) throw new InvalidInput(`the input has no field '${name}'`, { field: name })
    const n = this.model.nFeatures
    const data = featureValues(columnChunks(input, k), rows, n) ?? this.#tensorValues(input.getChildAt(k)!, name, n)
    const x = data instanceof Float64Array ? data : new Float64Array(data)
    if (!this.model.acceptsMissing) this.#checkFinite(x, n, name)
    const float32Input = data instanceof Float32Array
    const pool = RowSplitPool.shared()
    let values: Map<string, Float64Array | ClassLabel[]>
    if (this.#worthSplitting(rows, pool)) values = await this.evaluateSplit(x, rows, float32Input, pool)
    else {
      const t0 = process.hrtime.bigint()
      values = this.evaluate(x, rows, float32Input)
      if (rows >= 64) this.#learnCost(Number(process.hrtime.bigint() - t0), rows)
    }
    const children = this.#outputs.map((o) => outputData(o, values.get(o.field.name)!, rows))
    return tableOf(this.#arrowSchema, [recordBatchOf(this.#arrowSchema, children, rows)])
  }

  #tensorValues(column: arrow.Vector, name: string, n: number): Exclude<NumericTensorData, BigInt64Array | BigUint64Array> {
    const tensor = columnToTensor(column, name)
    if (tensor.dims[1] !== n || tensor.dims.length !== 2) {
      throw new InvalidInput(`input field '${name}' has rows of shape [${tensor.dims.slice(1).join(', ')}], expected ${n} features`, { field: name, expected: `${n} features` })
    }
    const data = tensor.data
    if (Array.isArray(data) || data instanceof BigInt64Array || data instanceof BigUint64Array) {
      throw new InvalidInput(`input field '${name}' holds ${tensor.type} values, expected float64 or float32 features`, { field: name, expected: 'float64', got: tensor.type })
    }
    return data
  }

  #checkFinite(x: Float64Array, n: number, name: string): void {
    // v * 0 is 0 for every finite v and NaN otherwise: four branch-free sums say whether to look further.
    if (!this.#float32Features && allFinite(x)) return
    const limit = this.#float32Features ? FLOAT32_MAX : Infinity
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!
      if (v === v && v <= limit && v >= -limit) continue
      const got = Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? `${v}, beyond float32` : String(v)
      throw new InvalidInput(
        `input field '${name}' has ${got} at row ${Math.floor(i / n)} (feature ${i % n}); ${this.model.summary} takes finite values only`,
        { field: name, row: Math.floor(i / n), expected: 'finite numbers', got },
      )
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#split) RowSplitPool.shared().drop(this.#split.key)
  }
}

function allFinite(x: Float64Array): boolean {
  let a = 0, b = 0, c = 0, d = 0
  const four = x.length - (x.length % 4)
  let i = 0
  for (; i < four; i += 4) {
    a += x[i]! * 0
    b += x[i + 1]! * 0
    c += x[i + 2]! * 0
    d += x[i + 3]! * 0
  }
  for (; i < x.length; i++) a += x[i]! * 0
  return a + b + c + d === 0
}
