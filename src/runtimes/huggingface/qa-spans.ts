/**
 * Span selection of Hugging Face's question-answering pipeline (`select_starts_ends` and
 * `decode_spans`), per window: start and end logits are softmaxed over the window's context tokens
 * and its classifier token; the classifier's start × end is the window's "no answer" score and is
 * then zeroed; a span (a ≤ b < a + max_answer_len, both context tokens) scores start[a] × end[b];
 * each window gives its `top_k` best. Across windows the answers (and, with
 * `handle_impossible_answer`, the smallest "no answer" score) are sorted by score and cut to `top_k`.
 * One difference: when `top_k` exceeds a window's valid spans, the pipeline's argpartition over the
 * whole start × end matrix can also return spans of score 0 touching the classifier token; here a
 * window gives only its valid spans.
 */
import type { QaWindow } from './qa-windows.js'

export interface QaSpan {
  score: number
  /** First and last context token of the answer (indices into the whole context's tokens). */
  first: number
  last: number
}

export interface WindowAnswers {
  spans: QaSpan[]
  /** start × end of the classifier token; Infinity when the window has none. */
  nullScore: number
}

export function windowAnswers(start: Float32Array, end: Float32Array, w: QaWindow, topK: number, maxAnswerLen: number): WindowAnswers {
  const ctxEnd = w.at + (w.to - w.from)
  const keep = (j: number) => (j >= w.at && j < ctxEnd) || (w.cls && j === 0)
  const ps = softmaxOver(start, w.ids.length, keep)
  const pe = softmaxOver(end, w.ids.length, keep)
  const nullScore = w.cls ? ps[0]! * pe[0]! : Infinity
  const spans: QaSpan[] = []
  for (let a = w.at; a < ctxEnd; a++) {
    for (let b = a; b < Math.min(ctxEnd, a + maxAnswerLen); b++) {
      spans.push({ score: ps[a]! * pe[b]!, first: w.from + a - w.at, last: w.from + b - w.at })
    }
  }
  spans.sort((x, y) => y.score - x.score)
  return { spans: spans.slice(0, topK), nullScore }
}

/** The `top_k` best answers of all windows; a null span (`first` = -1) stands for "no answer". */
export function bestAnswers(windows: WindowAnswers[], topK: number, handleImpossible: boolean): QaSpan[] {
  const all = windows.flatMap((w) => w.spans)
  if (handleImpossible) all.push({ score: Math.min(1_000_000, ...windows.map((w) => w.nullScore)), first: -1, last: -1 })
  return all.sort((x, y) => y.score - x.score).slice(0, topK)
}

function softmaxOver(logits: Float32Array, len: number, keep: (j: number) => boolean): Float64Array {
  const p = new Float64Array(len)
  let max = -Infinity
  for (let j = 0; j < len; j++) if (keep(j)) max = Math.max(max, logits[j]!)
  let sum = 0
  for (let j = 0; j < len; j++) if (keep(j)) sum += p[j] = Math.exp(logits[j]! - max)
  for (let j = 0; j < len; j++) p[j]! /= sum
  return p
}
