/**
 * `question-answering` (extractive): the pair (question, context) through a model answering
 * `start_logits` and `end_logits`; the best span of context tokens (start ≤ end, at most
 * `max_answer_len` tokens) by the product of softmaxed start and end scores, as Hugging Face's
 * pipeline scores it. Character offsets come from aligning the context's WordPiece tokens with
 * the (lower-cased) context text. One window of at most `max_seq_len` tokens: a longer context is
 * cut, not strided.
 */
import type * as arrow from 'apache-arrow'
import { buildColumn } from '../../data/column-builder.js'
import { InvalidInput, RuntimeFailure } from '../../errors.js'
import { encode } from './hf-model.js'
import type { HfTask } from './hf-tasks.js'

const int = (col: arrow.Vector | null, i: number, dflt: number) => {
  const v = col?.get(i)
  return v === null || v === undefined ? dflt : Number(v)
}

export const questionAnswering: HfTask = {
  inputSchema: () => [
    { name: 'question', type: 'string', nullable: false },
    { name: 'context', type: 'string', nullable: false },
    ...['top_k', 'doc_stride', 'max_answer_len', 'max_seq_len', 'max_question_len'].map((name) => ({ name, type: 'int64' as const, nullable: true })),
    { name: 'handle_impossible_answer', type: 'bool', nullable: true },
    { name: 'align_to_words', type: 'bool', nullable: true },
  ],
  outputSchema: () => [
    { name: 'score', type: 'float64', nullable: false },
    { name: 'start', type: 'int64', nullable: false },
    { name: 'end', type: 'int64', nullable: false },
    { name: 'answer', type: 'string', nullable: false },
  ],
  async run(model, input) {
    const n = input.numRows
    const q = input.getChild('question')!
    const c = input.getChild('context')!
    const score = new Float64Array(n)
    const start = new BigInt64Array(n)
    const end = new BigInt64Array(n)
    const answer: string[] = []
    for (let i = 0; i < n; i++) {
      const context = String(c.get(i))
      const maxSeq = Math.min(model.maxLength, int(input.getChild('max_seq_len'), i, 384))
      const { feeds, rows, width } = encode(model, [String(q.get(i))], [context], maxSeq)
      const out = await model.session.run(feeds)
      const s = out.start_logits ?? out[model.session.outputNames[0]!]
      const e = out.end_logits ?? out[model.session.outputNames[1]!]
      if (!s || !e || s.dims.length !== 2 || s.dims[1] !== width) throw new RuntimeFailure('question-answering needs a model answering start_logits and end_logits [rows, tokens]')
      const enc = rows[0]!
      const len = Math.min(width, enc.ids.length)
      const isContext = (j: number) => (enc.token_type_ids?.[j] ?? 0) === 1 && j < len - 1
      const impossible = (input.getChild('handle_impossible_answer')?.get(i) as boolean | null) ?? false
      const keep = (j: number) => isContext(j) || (impossible && j === 0)
      const ps = softmaxWhere(s.data as Float32Array, len, keep)
      const pe = softmaxWhere(e.data as Float32Array, len, keep)
      const maxLen = int(input.getChild('max_answer_len'), i, 15)
      if (maxLen < 1) throw new InvalidInput(`max_answer_len at row ${i} must be at least 1, got ${maxLen}`, { field: 'max_answer_len', row: i })
      let best = -1
      let bs = 0
      let be = 0
      for (let a = 0; a < len; a++) {
        if (!isContext(a)) continue
        for (let b = a; b < Math.min(len, a + maxLen); b++) {
          if (!isContext(b)) break
          const p = ps[a]! * pe[b]!
          if (p > best) [best, bs, be] = [p, a, b]
        }
      }
      const spans = alignContext(context, enc.tokens, isContext, len)
      if (best < 0 || (impossible && ps[0]! * pe[0]! > best)) {
        score[i] = best < 0 ? 0 : ps[0]! * pe[0]!
        answer.push('')
        continue
      }
      const from = spans[bs]?.[0] ?? 0
      const to = spans[be]?.[1] ?? from
      score[i] = best
      start[i] = BigInt(from)
      end[i] = BigInt(to)
      answer.push(context.slice(from, to))
    }
    const ctx = (field: string) => ({ field, rowOf: (k: number) => k, nullsAllowed: false, allowNull: false })
    return [buildColumn(score, 'float64', ctx('score')), buildColumn(start, 'int64', ctx('start')), buildColumn(end, 'int64', ctx('end')), buildColumn(answer, 'string', ctx('answer'))]
  },
}

function softmaxWhere(logits: Float32Array, len: number, keep: (j: number) => boolean): Float64Array {
  const p = new Float64Array(len)
  let max = -Infinity
  for (let j = 0; j < len; j++) if (keep(j)) max = Math.max(max, logits[j]!)
  let sum = 0
  for (let j = 0; j < len; j++) if (keep(j)) sum += p[j] = Math.exp(logits[j]! - max)
  for (let j = 0; j < len; j++) p[j]! /= sum || 1
  return p
}

/** Character span of each context token in `context`: WordPiece pieces found in order in the lower-cased text. */
function alignContext(context: string, tokens: string[], isContext: (j: number) => boolean, len: number): ([number, number] | undefined)[] {
  const text = context.toLowerCase()
  const spans: ([number, number] | undefined)[] = []
  let cursor = 0
  for (let j = 0; j < len; j++) {
    if (!isContext(j)) continue
    const t = tokens[j]!
    if (t === '[UNK]') {
      while (cursor < text.length && /\s/.test(text[cursor]!)) cursor++
      const from = cursor
      while (cursor < text.length && /[^\s\p{P}]/u.test(text[cursor]!)) cursor++
      spans[j] = [from, Math.max(from + 1, cursor)]
      cursor = Math.max(cursor, from + 1)
      continue
    }
    const piece = t.startsWith('##') ? t.slice(2) : t
    const at = text.indexOf(piece, cursor)
    if (at < 0) continue
    spans[j] = [at, at + piece.length]
    cursor = at + piece.length
  }
  return spans
}
