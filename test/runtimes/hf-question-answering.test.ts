/**
 * hugging-face-question-answering over a context longer than one window: Quiver's answers
 * (windows with doc_stride overlap, spans of at most max_answer_len, top_k across windows,
 * "no answer", word alignment) are compared with the same computation in Python: the tiny torch
 * model run window by window and transformers' span selection reimplemented in numpy
 * (test/fixtures/huggingface/qa_reference.py), on token ids written by hand.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import * as arrow from 'apache-arrow'
import type { ModelSchema } from '../../src/data/schema.js'
import { HuggingFaceRuntime } from '../../src/runtimes/huggingface/hf-runtime.js'
import { answerSpan, contextOffsets } from '../../src/runtimes/huggingface/qa-offsets.js'
import type { Session } from '../../src/runtimes/runtime.js'
import { assertClose } from '../helpers/compare.js'
import { buildTinyBert } from './hf-helpers.js'
import { columnValues, contextFor, versionOf } from './python-helpers.js'

/** The context as words: text, its WordPiece ids (vocabulary of build_tiny_bert.py) and piece lengths, and what follows it. */
const WORDS: [string, number[], number[], string][] = [
  ['The', [5], [3], ' '], ['cat', [6], [3], ' '], ['sat', [8], [3], ' '], ['on', [9], [2], ' '], ['the', [5], [3], ' '], ['mat', [10], [3], ''], ['.', [21], [1], ' '],
  ['A', [11], [1], ' '], ['dog', [7], [3], ' '], ['is', [18], [2], ' '], ['playing', [15, 16], [4, 3], ''], [',', [20], [1], ' '], ['the', [5], [3], ' '],
  ['cat', [6], [3], ' '], ['played', [15, 17], [4, 2], ''], ['!', [22], [1], ' '], ['Héllo', [23], [5], ' '], ['wörld', [24], [5], ''], [',', [20], [1], ' '],
  ['a', [11], [1], ' '], ['good', [12], [4], ' '], ['movie', [14], [5], ' '], ['is', [18], [2], ' '], ['not', [19], [3], ' '], ['a', [11], [1], ' '],
  ['bad', [13], [3], ' '], ['movie', [14], [5], ''], ['.', [21], [1], ' '], ['The', [5], [3], ' '], ['dog', [7], [3], ' '], ['sat', [8], [3], ' '],
  ['on', [9], [2], ' '], ['a', [11], [1], ' '], ['mat', [10], [3], ''], ['.', [21], [1], ''],
]
const CONTEXT = WORDS.map(([w, , , sep]) => w + sep).join('')
const CONTEXT_IDS = WORDS.flatMap(([, ids]) => ids)
/** Per context token: its word's and its own character span. */
const TOKEN_SPANS: { word: [number, number]; own: [number, number] }[] = []
{
  let at = 0
  for (const [w, , lens, sep] of WORDS) {
    let piece = at
    for (const len of lens) {
      TOKEN_SPANS.push({ word: [at, at + w.length], own: [piece, piece + len] })
      piece += len
    }
    at += w.length + sep.length
  }
}
const QUESTION = 'the cat'
const PREFIX = [2, 5, 6, 3]
const SUFFIX = [3]
/** 4 question-and-special tokens + 15 context tokens + [SEP]: windows at 0, 10, 20, 30 over 37 context tokens. */
const WINDOWED = { max_seq_len: 20, doc_stride: 5, max_answer_len: 4 }
const CASES = [
  { ...WINDOWED, top_k: 3, handle_impossible_answer: false },
  // 5 context tokens a window, 3 apart: 12 windows; "no answer" (the smallest [CLS] score of all windows) ranks 15th.
  { max_seq_len: 10, doc_stride: 2, max_answer_len: 3, top_k: 16, handle_impossible_answer: true },
  { max_seq_len: 64, doc_stride: 32, max_answer_len: 15, top_k: 1, handle_impossible_answer: false },
]
const LISTS: ModelSchema = [
  { name: 'score', type: { list: 'float64', size: null }, nullable: false },
  { name: 'start', type: { list: 'int64', size: null }, nullable: false },
  { name: 'end', type: { list: 'int64', size: null }, nullable: false },
  { name: 'answer', type: { list: 'string', size: null }, nullable: false },
]
const TOL = { abs: 1e-5, rel: 1e-4 }

type Row = Partial<Record<'question' | 'context' | 'top_k' | 'doc_stride' | 'max_answer_len' | 'max_seq_len' | 'max_question_len' | 'handle_impossible_answer' | 'align_to_words', unknown>>
function qaTable(rows: Row[]): arrow.Table {
  const col = (k: keyof Row, type: arrow.DataType) => arrow.vectorFromArray(rows.map((r) => (r[k] === undefined ? null : typeof r[k] === 'number' ? BigInt(r[k] as number) : r[k])), type)
  const ints = ['top_k', 'doc_stride', 'max_answer_len', 'max_seq_len', 'max_question_len'] as const
  return new arrow.Table({
    question: col('question', new arrow.Utf8()),
    context: col('context', new arrow.Utf8()),
    ...Object.fromEntries(ints.map((k) => [k, col(k, new arrow.Int64())])),
    handle_impossible_answer: col('handle_impossible_answer', new arrow.Bool()),
    align_to_words: col('align_to_words', new arrow.Bool()),
  })
}

async function open(dir: string, output: ModelSchema | null): Promise<{ session: Session; close(): Promise<void> }> {
  const zip = join(dir, 'model.zip')
  const ctx = contextFor(zip)
  const session = await new HuggingFaceRuntime().load(versionOf('hugging-face-question-answering', zip, null as never, output as never), ctx)
  return { session, close: async () => { await session.close(); ctx.cleanup() } }
}

describe('hugging-face-question-answering over long contexts', () => {
  it('answers top_k spans across overlapping windows as the pipeline does, with word-aligned offsets', async (t) => {
    const built = await buildTinyBert(t, 'question-answering', CASES.map((c) => ({ qa: { prefix: PREFIX, context: CONTEXT_IDS, suffix: SUFFIX, ...c } })), 'qa-long')
    if (!built) return
    const reference = built.reference as [number, number, number][][]
    const lists = await open(built.dir, LISTS)
    const single = await open(built.dir, null)
    try {
      const rows = CASES.map((c) => ({ question: QUESTION, context: CONTEXT, ...c }))
      const expected = (k: number, align: boolean) => reference[k]!.map(([score, first, last]) => {
        const [start, end] = first < 0 ? [0, 0] : [TOKEN_SPANS[first]![align ? 'word' : 'own'][0], TOKEN_SPANS[last]![align ? 'word' : 'own'][1]]
        return { score, start, end, answer: CONTEXT.slice(start, end) }
      })
      for (const align of [true, false]) {
        const out = await lists.session.infer(qaTable(rows.map((r) => ({ ...r, align_to_words: align }))))
        CASES.forEach((_, k) => {
          const want = expected(k, align)
          const where = `case ${k} (align_to_words ${align})`
          assert.equal(reference[k]!.length, CASES[k]!.top_k, `${where}: the reference answers top_k spans`)
          assertClose((columnValues(out, 'score') as number[][])[k], want.map((a) => a.score), TOL, `${where} scores`)
          assert.deepEqual((columnValues(out, 'start') as number[][])[k], want.map((a) => a.start), `${where} starts`)
          assert.deepEqual((columnValues(out, 'end') as number[][])[k], want.map((a) => a.end), `${where} ends`)
          assert.deepEqual((columnValues(out, 'answer') as string[][])[k], want.map((a) => a.answer), `${where} answers`)
        })
      }
      assert.ok(reference[1]!.some(([, first]) => first < 0), 'case 1 ranks "no answer" among its top 16, so it is compared too')
      // SPEC §10's schema: the best answer alone, the same as the first of the lists.
      const one = await single.session.infer(qaTable([{ question: QUESTION, context: CONTEXT, ...WINDOWED, handle_impossible_answer: false }]))
      const best = expected(0, true)[0]!
      assertClose(columnValues(one, 'score'), [best.score], TOL, 'single score')
      assert.deepEqual([columnValues(one, 'start'), columnValues(one, 'end'), columnValues(one, 'answer')], [[best.start], [best.end], [best.answer]])
    } finally {
      await lists.close()
      await single.close()
    }
  })

  it('refuses bad parameters naming the field, the row, what it expected and what it got', async (t) => {
    const built = await buildTinyBert(t, 'question-answering', [], 'qa-bad')
    if (!built) return
    const { session, close } = await open(built.dir, null)
    try {
      const ok = { question: QUESTION, context: CONTEXT }
      const bad: [Row, RegExp][] = [
        [{ ...ok, context: '' }, /context at row 1 is empty; question-answering needs a non-empty text/],
        [{ ...ok, question: null }, /question at row 1 is null/],
        [{ ...ok, context: '   ' }, /context at row 1 has no tokens/],
        [{ ...ok, top_k: 3 }, /top_k 3 at row 1 asks for 3 answers, but this version's output schema holds one answer per row; upload it with an output schema of lists/],
        [{ ...ok, top_k: 0 }, /top_k at row 1 must be at least 1, got 0/],
        [{ ...ok, max_answer_len: 0 }, /max_answer_len at row 1 must be at least 1, got 0/],
        [{ ...ok, max_seq_len: 65 }, /max_seq_len 65 at row 1 is longer than the model's 64 tokens/],
        [{ ...ok, max_seq_len: 5 }, /max_seq_len 5 at row 1 leaves no room for the context: the question and special tokens alone take 5 tokens/],
        [{ ...ok, max_seq_len: 20, doc_stride: 21 }, /doc_stride 21 at row 1 is larger than max_seq_len 20/],
        [{ ...ok, max_seq_len: 20, doc_stride: 15 }, /doc_stride 15 at row 1 must be below the 15 context tokens a window holds/],
        [{ ...ok, doc_stride: -1 }, /doc_stride at row 1 must be at least 0, got -1/],
      ]
      for (const [row, message] of bad) {
        await assert.rejects(session.infer(qaTable([ok, row])), (err: Error & { code?: string }) => {
          assert.equal(err.code, 'invalid_input', `${JSON.stringify(row)}: ${err.message}`)
          assert.match(err.message, message)
          return true
        })
      }
      const mixed = await open(built.dir, [LISTS[0]!, { name: 'start', type: 'int64', nullable: false }, LISTS[2]!, LISTS[3]!])
      try {
        await assert.rejects(mixed.session.infer(qaTable([ok])), /output schema has score, start, end and answer either all as lists \(top_k answers a row\) or all as scalars \(one answer\); this one mixes them/)
      } finally {
        await mixed.close()
      }
    } finally {
      await close()
    }
  })
})

describe('question-answering character offsets', () => {
  it('finds pieces through lower case and stripped accents, and grows spans to whole words when aligning', () => {
    const context = 'Héllo, wörld is PLAYING.'
    const o = contextOffsets(context, ['hello', ',', 'world', 'is', 'play', '##ing', '.'])
    assert.deepEqual(o.tokens, [[0, 5], [5, 6], [7, 12], [13, 15], [16, 20], [20, 23], [23, 24]])
    assert.deepEqual(answerSpan(o, 5, 5, true), [16, 23])
    assert.deepEqual(answerSpan(o, 5, 5, false), [20, 23])
    assert.deepEqual(answerSpan(o, 2, 4, true), [7, 23])
    const unknown = contextOffsets('a ☃☃ dog', ['a', '[UNK]', 'dog'])
    assert.deepEqual(unknown.tokens, [[0, 1], [2, 4], [5, 8]])
  })
})
