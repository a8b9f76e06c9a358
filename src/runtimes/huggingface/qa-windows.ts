/**
 * The windows of one (question, context) pair, as Hugging Face's question-answering pipeline
 * makes them with a fast tokenizer (`truncation="only_second"`, `return_overflowing_tokens`,
 * `stride=doc_stride`): every window holds the whole question and its special tokens, and a slice
 * of at most `max_seq_len - (question + specials)` context tokens; consecutive slices start
 * `capacity - doc_stride` tokens apart, so they overlap by `doc_stride` tokens, and the last one
 * ends at the context's end.
 */
import { InvalidInput, RuntimeFailure } from '../../errors.js'
import { textTokenizer, type HfModel } from './hf-model.js'

export interface QaWindow {
  ids: number[]
  typeIds: number[]
  /** Position in `ids` of the window's first context token. */
  at: number
  /** The context tokens it holds: `[from, to)` of the whole context's tokens. */
  from: number
  to: number
  /** Whether position 0 is the classifier token, which stands for "no answer". */
  cls: boolean
}

export interface QaEncoding {
  windows: QaWindow[]
  /** The context's tokens (WordPiece spelling), for character offsets. */
  contextTokens: string[]
}

export interface WindowOptions {
  maxSeqLen: number
  docStride: number
  row: number
}

export function qaWindows(model: HfModel, question: string, context: string, opts: WindowOptions): QaEncoding {
  const { maxSeqLen, docStride, row } = opts
  const tokenizer = textTokenizer(model)
  const pair = tokenizer.encode(question, { text_pair: context, return_token_type_ids: true })
  const alone = tokenizer.encode(context, { add_special_tokens: false })
  const n = pair.ids.length
  const c = alone.ids.length
  if (c === 0) throw new InvalidInput(`context at row ${row} has no tokens; give a text to find the answer in`, { field: 'context', row, expected: 'a non-empty text', got: JSON.stringify(context) })
  const ctxStart = locate(pair.ids, alone.ids)
  if (ctxStart < 0) throw new RuntimeFailure('question-answering cannot find the context\'s tokens in the tokenized (question, context) pair; the tokenizer is not a BERT-style pair tokenizer')
  const prefix = pair.ids.slice(0, ctxStart)
  const suffix = pair.ids.slice(ctxStart + c)
  const types = pair.token_type_ids
  const capacity = maxSeqLen - prefix.length - suffix.length
  if (capacity < 1) {
    throw new InvalidInput(`max_seq_len ${maxSeqLen} at row ${row} leaves no room for the context: the question and special tokens alone take ${prefix.length + suffix.length} tokens`, { field: 'max_seq_len', row, expected: `more than ${prefix.length + suffix.length}`, got: String(maxSeqLen) })
  }
  if (c > capacity && docStride >= capacity) {
    throw new InvalidInput(`doc_stride ${docStride} at row ${row} must be below the ${capacity} context tokens a window holds (max_seq_len ${maxSeqLen} minus the question and special tokens), or windows could not advance`, { field: 'doc_stride', row, expected: `below ${capacity}`, got: String(docStride) })
  }
  const special = tokenizer.get_added_tokens_decoder().get(pair.ids[0]!)
  const cls = ctxStart > 0 && special?.special === true
  const windows: QaWindow[] = []
  for (let from = 0; ; from += capacity - docStride) {
    const to = Math.min(from + capacity, c)
    windows.push({
      ids: [...prefix, ...alone.ids.slice(from, to), ...suffix],
      typeIds: [...types.slice(0, ctxStart), ...Array<number>(to - from).fill(types[ctxStart] ?? 0), ...types.slice(ctxStart + c)],
      at: ctxStart,
      from,
      to,
      cls,
    })
    if (to === c) break
  }
  return { windows, contextTokens: alone.tokens }
}

/** Where the context's tokens sit in the pair's: at the end, before at most a few closing special tokens. */
function locate(pair: number[], ctx: number[]): number {
  for (let tail = 0; tail <= 4; tail++) {
    const start = pair.length - ctx.length - tail
    if (start < 0) return -1
    let same = true
    for (let j = 0; j < ctx.length && same; j++) same = pair[start + j] === ctx[j]
    if (same) return start
  }
  return -1
}
