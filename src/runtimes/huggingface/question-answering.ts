/**
 * `question-answering` (extractive), as Hugging Face's pipeline answers it with a fast tokenizer:
 * the context is cut into overlapping windows (`max_seq_len`, `doc_stride`; qa-windows.ts), each
 * window runs through a model answering `start_logits` and `end_logits`, spans of at most
 * `max_answer_len` tokens are scored per window and the `top_k` best of all windows kept
 * (qa-spans.ts), and their character offsets are aligned to whole words unless `align_to_words` is
 * false (qa-offsets.ts). `max_question_len` is accepted and, as in the pipeline's fast-tokenizer
 * path, not used: the question is never cut.
 *
 * SPEC §10's output is one answer per row (`score` float64 …); a version uploaded with an output
 * schema of lists (`score` [float64], `start` [int64], `end` [int64], `answer` [string]) answers
 * `top_k` of them per row.
 */
import type * as arrow from 'apache-arrow'
import ort from 'onnxruntime-node'
import { buildColumn } from '../../data/column-builder.js'
import { isListType, type ModelSchema } from '../../data/schema.js'
import { InvalidInput, RuntimeFailure } from '../../errors.js'
import type { HfModel } from './hf-model.js'
import type { HfTask } from './hf-tasks.js'
import { answerSpan, contextOffsets } from './qa-offsets.js'
import { bestAnswers, windowAnswers, type WindowAnswers } from './qa-spans.js'
import { qaWindows, type QaWindow } from './qa-windows.js'

/** Windows per onnxruntime run. */
const BATCH = 16

interface Answer { score: number; start: number; end: number; answer: string }

export const questionAnswering: HfTask = {
  inputSchema: () => [
    { name: 'question', type: 'string', nullable: false },
    { name: 'context', type: 'string', nullable: false },
    ...['top_k', 'doc_stride', 'max_answer_len', 'max_seq_len', 'max_question_len'].map((name) => ({ name, type: 'int64' as const, nullable: true, optional: true as const })),
    { name: 'handle_impossible_answer', type: 'bool', nullable: true, optional: true },
    { name: 'align_to_words', type: 'bool', nullable: true, optional: true },
  ],
  outputSchema: () => [
    { name: 'score', type: 'float64', nullable: false },
    { name: 'start', type: 'int64', nullable: false },
    { name: 'end', type: 'int64', nullable: false },
    { name: 'answer', type: 'string', nullable: false },
  ],
  async run(model, input, outputSchema) {
    const lists = answersAsLists(outputSchema)
    // Every row is checked and cut into windows before any runs; then windows of all rows share runs.
    const rows = Array.from({ length: input.numRows }, (_, i) => prepareRow(model, input, i, lists))
    const windows = rows.flatMap((r) => r.windows.map((w) => ({ w, r })))
    const perWindow: WindowAnswers[] = []
    for (let b = 0; b < windows.length; b += BATCH) perWindow.push(...await scoreWindows(model, windows.slice(b, b + BATCH)))
    let next = 0
    const answers = rows.map((r) => finishRow(r, perWindow.slice(next, (next += r.windows.length))))
    const ctx = (field: string) => ({ field, rowOf: (k: number) => k, nullsAllowed: false, allowNull: false })
    const column = (field: keyof Answer, type: 'float64' | 'int64' | 'string') => {
      const values = answers.map((a) => a.map((x) => (type === 'int64' ? BigInt(x[field]) : x[field])))
      return lists ? buildColumn(values, { list: type, size: null }, ctx(field)) : buildColumn(values.map((v) => v[0]), type, ctx(field))
    }
    return [column('score', 'float64'), column('start', 'int64'), column('end', 'int64'), column('answer', 'string')]
  },
}

function answersAsLists(schema: ModelSchema): boolean {
  const types = ['score', 'start', 'end', 'answer'].map((n) => schema.find((f) => f.name === n)?.type)
  if (types.some((t) => t === undefined)) throw new RuntimeFailure('question-answering answers score, start, end and answer; the output schema lacks one of them')
  const lists = types.filter((t) => isListType(t!)).length
  if (lists !== 0 && lists !== 4) {
    throw new InvalidInput('question-answering\'s output schema has score, start, end and answer either all as lists (top_k answers a row) or all as scalars (one answer); this one mixes them', { field: 'output_schema' })
  }
  return lists === 4
}

interface PreparedRow {
  context: string
  windows: QaWindow[]
  contextTokens: string[]
  topK: number
  maxAnswerLen: number
  impossible: boolean
  alignToWords: boolean
}

function prepareRow(model: HfModel, input: arrow.Table, row: number, lists: boolean): PreparedRow {
  const question = text(input, 'question', row)
  const context = text(input, 'context', row)
  const maxSeqLen = param(input, 'max_seq_len', row, Math.min(model.maxLength, 384), 1)
  if (maxSeqLen > model.maxLength) throw new InvalidInput(`max_seq_len ${maxSeqLen} at row ${row} is longer than the model's ${model.maxLength} tokens`, { field: 'max_seq_len', row, expected: `at most ${model.maxLength}`, got: String(maxSeqLen) })
  const docStride = param(input, 'doc_stride', row, Math.min(Math.floor(maxSeqLen / 2), 128), 0)
  if (docStride > maxSeqLen) throw new InvalidInput(`doc_stride ${docStride} at row ${row} is larger than max_seq_len ${maxSeqLen}`, { field: 'doc_stride', row, expected: `at most ${maxSeqLen}`, got: String(docStride) })
  const topK = param(input, 'top_k', row, 1, 1)
  if (topK > 1 && !lists) {
    throw new InvalidInput(`top_k ${topK} at row ${row} asks for ${topK} answers, but this version's output schema holds one answer per row; upload it with an output schema of lists (score [float64], start [int64], end [int64], answer [string]) to get several`, { field: 'top_k', row, expected: '1', got: String(topK) })
  }
  const maxAnswerLen = param(input, 'max_answer_len', row, 15, 1)
  const impossible = flag(input, 'handle_impossible_answer', row, false)
  const alignToWords = flag(input, 'align_to_words', row, true)
  return { context, ...qaWindows(model, question, context, { maxSeqLen, docStride, row }), topK, maxAnswerLen, impossible, alignToWords }
}

function finishRow(r: PreparedRow, perWindow: WindowAnswers[]): Answer[] {
  const offsets = contextOffsets(r.context, r.contextTokens)
  return bestAnswers(perWindow, r.topK, r.impossible).map((s) => {
    if (s.first < 0) return { score: s.score, start: 0, end: 0, answer: '' }
    const [start, end] = answerSpan(offsets, s.first, s.last, r.alignToWords)
    return { score: s.score, start, end, answer: r.context.slice(start, end) }
  })
}

/** One onnxruntime run over the windows, padded to the longest. */
async function scoreWindows(model: HfModel, batch: { w: QaWindow; r: PreparedRow }[]): Promise<WindowAnswers[]> {
  const windows = batch.map((b) => b.w)
  const n = windows.length
  const width = Math.max(...windows.map((w) => w.ids.length))
  const ids = new BigInt64Array(n * width)
  const mask = new BigInt64Array(n * width)
  const types = new BigInt64Array(n * width)
  windows.forEach((w, i) => w.ids.forEach((id, j) => {
    ids[i * width + j] = BigInt(id)
    mask[i * width + j] = 1n
    types[i * width + j] = BigInt(w.typeIds[j]!)
  }))
  const all: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [n, width]),
    attention_mask: new ort.Tensor('int64', mask, [n, width]),
    token_type_ids: new ort.Tensor('int64', types, [n, width]),
  }
  const feeds = Object.fromEntries(model.session.inputNames.map((name) => {
    if (!all[name]) throw new RuntimeFailure(`the model takes an input '${name}' that a tokenizer does not give (input_ids, attention_mask, token_type_ids)`)
    return [name, all[name]]
  }))
  const out = await model.session.run(feeds)
  const s = out.start_logits ?? out[model.session.outputNames[0]!]
  const e = out.end_logits ?? out[model.session.outputNames[1]!]
  if (!s || !e || s.type !== 'float32' || e.type !== 'float32' || s.dims.join() !== `${n},${width}` || e.dims.join() !== `${n},${width}`) {
    throw new RuntimeFailure(`question-answering needs a model answering float32 start_logits and end_logits [windows, tokens]; it answered ${s ? `${s.type} [${s.dims.join(', ')}]` : 'nothing'}`)
  }
  const sd = s.data as Float32Array
  const ed = e.data as Float32Array
  return batch.map(({ w, r }, i) => windowAnswers(sd.subarray(i * width, (i + 1) * width), ed.subarray(i * width, (i + 1) * width), w, r.topK, r.maxAnswerLen))
}

function text(input: arrow.Table, field: string, row: number): string {
  const v = input.getChild(field)?.get(row)
  if (typeof v !== 'string' || v.length === 0) {
    throw new InvalidInput(`${field} at row ${row} is ${v === '' ? 'empty' : v === null || v === undefined ? 'null' : typeof v}; question-answering needs a non-empty text`, { field, row, expected: 'a non-empty string', got: JSON.stringify(v ?? null) })
  }
  return v
}

function param(input: arrow.Table, field: string, row: number, dflt: number, min: number): number {
  const v = input.getChild(field)?.get(row)
  if (v === null || v === undefined) return dflt
  const n = Number(v)
  if (n < min) throw new InvalidInput(`${field} at row ${row} must be at least ${min}, got ${n}`, { field, row, expected: `>= ${min}`, got: String(n) })
  return n
}

function flag(input: arrow.Table, field: string, row: number, dflt: boolean): boolean {
  const v = input.getChild(field)?.get(row)
  return v === null || v === undefined ? dflt : Boolean(v)
}
