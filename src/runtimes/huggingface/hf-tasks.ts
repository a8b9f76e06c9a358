/**
 * The Hugging Face tasks Quiver runs natively, with SPEC §10's schemas: tokenizer → onnxruntime →
 * the task's post-processing. Other tasks register with status `error` naming the task.
 */
import * as arrow from 'apache-arrow'
import { buildColumn } from '../../data/column-builder.js'
import { makeAnyData } from '../../data/arrow-data.js'
import type { ModelSchema } from '../../data/schema.js'
import { InvalidInput, RuntimeFailure } from '../../errors.js'
import { encode, runFirstOutput, type HfInputKind, type HfModel } from './hf-model.js'
import { zeroShotClassification } from './zero-shot.js'
import { questionAnswering } from './question-answering.js'
import { imageClassification } from './image-classification.js'

export interface HfTask {
  /** What the task reads (default text, through the tokenizer). */
  inputs?: HfInputKind
  inputSchema(model: HfModel): ModelSchema
  outputSchema(model: HfModel): ModelSchema
  /** Columns of the output schema (the task's own or the one the version was uploaded with), one row per input row. */
  run(model: HfModel, input: arrow.Table, outputSchema: ModelSchema): Promise<arrow.Data[]>
}

function texts(input: arrow.Table, field: string): string[] {
  const col = input.getChild(field)!
  return Array.from({ length: input.numRows }, (_, i) => {
    const v = col.get(i)
    if (typeof v !== 'string') throw new InvalidInput(`field '${field}' row ${i} is ${v === null ? 'null' : typeof v}; expected a string`, { field, row: i, expected: 'string', got: String(v) })
    return v
  })
}

/** Each row's token vectors: `[row][token][hidden]`, the padding left out (as `pipeline('feature-extraction')` answers). */
const featureExtraction: HfTask = {
  inputSchema: () => [{ name: 'inputs', type: 'string', nullable: false }],
  outputSchema: (m) => [{ name: 'output', type: { list: { list: 'float64', size: hiddenSize(m) }, size: null }, nullable: false }],
  async run(model, input) {
    const { feeds, lengths, width } = encode(model, texts(input, 'inputs'))
    const { data, dims } = await runFirstOutput(model, feeds)
    const hidden = hiddenSize(model)
    if (dims.length !== 3 || dims[2] !== hidden) throw new RuntimeFailure(`the model answered shape [${dims.join(', ')}]; feature-extraction expects [rows, tokens, ${hidden}]`)
    const offsets = new Int32Array(lengths.length + 1)
    for (let i = 0; i < lengths.length; i++) offsets[i + 1] = offsets[i]! + lengths[i]!
    const values = new Float64Array(offsets[lengths.length]! * hidden)
    for (let i = 0; i < lengths.length; i++) {
      const from = i * width * hidden
      values.set(data.subarray(from, from + lengths[i]! * hidden), offsets[i]! * hidden)
    }
    const f64 = new arrow.Float64()
    const inner = new arrow.FixedSizeList(hidden, new arrow.Field('item', f64, false))
    const child = makeAnyData({ type: inner, length: offsets[lengths.length]!, nullCount: 0, child: makeAnyData({ type: f64, length: values.length, nullCount: 0, data: values }) })
    return [makeAnyData({ type: new arrow.List(new arrow.Field('item', inner, false)), length: lengths.length, nullCount: 0, valueOffsets: offsets, child })]
  },
}

/** Labels and scores, best first: softmax (or sigmoid for one label or multi-label models), `top_k` of them (default 1). */
const textClassification: HfTask = {
  inputSchema: () => [
    { name: 'inputs', type: 'string', nullable: false },
    { name: 'top_k', type: 'int64', nullable: true, optional: true },
    { name: 'function_to_apply', type: 'string', nullable: true, optional: true },
  ],
  outputSchema: () => [
    { name: 'label', type: { list: 'string', size: null }, nullable: false },
    { name: 'score', type: { list: 'float64', size: null }, nullable: false },
  ],
  async run(model, input) {
    const rows = input.numRows
    const { feeds } = encode(model, texts(input, 'inputs'))
    const { data, dims } = await runFirstOutput(model, feeds)
    const k = dims[1] ?? 0
    if (dims.length !== 2 || dims[0] !== rows) throw new RuntimeFailure(`the model answered shape [${dims.join(', ')}]; text-classification expects logits [rows, labels]`)
    const names = Array.from({ length: k }, (_, j) => model.config.id2label?.[String(j)] ?? `LABEL_${j}`)
    const topK = input.getChild('top_k')
    const fn = input.getChild('function_to_apply')
    const labels: string[][] = []
    const scores: number[][] = []
    for (let i = 0; i < rows; i++) {
      const logits = Array.from(data.subarray(i * k, (i + 1) * k), Number)
      const apply = (fn?.get(i) as string | null) ?? (k === 1 || model.config.problem_type === 'multi_label_classification' ? 'sigmoid' : 'softmax')
      const s = activate(logits, apply, i)
      const order = s.map((_, j) => j).sort((a, b) => s[b]! - s[a]!)
      const want = topK?.get(i)
      const n = want === null || want === undefined ? 1 : Math.max(0, Math.min(k, Number(want)))
      labels.push(order.slice(0, n).map((j) => names[j]!))
      scores.push(order.slice(0, n).map((j) => s[j]!))
    }
    const ctx = (field: string) => ({ field, rowOf: (i: number) => i, nullsAllowed: false, allowNull: false })
    return [buildColumn(labels, { list: 'string', size: null }, ctx('label')), buildColumn(scores, { list: 'float64', size: null }, ctx('score'))]
  },
}

function activate(logits: number[], fn: string, row: number): number[] {
  if (fn === 'none') return logits
  if (fn === 'sigmoid') return logits.map((x) => 1 / (1 + Math.exp(-x)))
  if (fn === 'softmax') {
    const max = Math.max(...logits)
    const e = logits.map((x) => Math.exp(x - max))
    const sum = e.reduce((a, b) => a + b, 0)
    return e.map((x) => x / sum)
  }
  throw new InvalidInput(`function_to_apply '${fn}' at row ${row} is not one of softmax, sigmoid, none`, { field: 'function_to_apply', row, expected: 'softmax | sigmoid | none', got: fn })
}

function hiddenSize(m: HfModel): number {
  const h = m.config.hidden_size ?? (m.config as { d_model?: number }).d_model
  if (typeof h !== 'number' || !Number.isInteger(h) || h <= 0) throw new InvalidInput('config.json has no hidden_size; feature-extraction needs it for its output schema', { field: 'config.json' })
  return h
}

export const HF_TASKS: Readonly<Record<string, HfTask>> = {
  'feature-extraction': featureExtraction,
  'text-classification': textClassification,
  'sentiment-analysis': textClassification,
  'zero-shot-classification': zeroShotClassification,
  'question-answering': questionAnswering,
  'image-classification': imageClassification,
}
