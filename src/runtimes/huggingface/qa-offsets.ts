/**
 * Character offsets of a context's WordPiece tokens, which `@huggingface/tokenizers` does not
 * report: each piece is found, in order, in the context as a BERT normalizer sees it (lower case,
 * accents stripped), mapped back to the original characters. A piece starting with `##` continues
 * the word before it, so an answer aligned to words (`align_to_words`, the pipeline's default) grows
 * to the whole words its first and last tokens belong to.
 */

export type CharSpan = [number, number]

export interface ContextOffsets {
  /** Character span of each context token; undefined when the piece could not be found. */
  tokens: (CharSpan | undefined)[]
  /** Word index of each context token. */
  wordOf: Int32Array
  /** Character span of each word (from its first to its last found token). */
  words: CharSpan[]
}

export function contextOffsets(context: string, tokens: readonly string[]): ContextOffsets {
  const { text, origin } = normalized(context)
  const spans: (CharSpan | undefined)[] = []
  const wordOf = new Int32Array(tokens.length)
  const words: CharSpan[] = []
  let cursor = 0
  tokens.forEach((t, j) => {
    const continues = t.startsWith('##') && j > 0
    wordOf[j] = continues ? words.length - 1 : words.length
    const span = t === '[UNK]' ? unknownWord(text, cursor) : findPiece(text, continues ? t.slice(2) : t, cursor)
    if (span) {
      cursor = span[1]
      spans[j] = [origin[span[0]]!, origin[span[1] - 1]! + 1]
    }
    const word = words[wordOf[j]!]
    const s = spans[j]
    if (!continues) words.push(s ? [...s] : [origin[cursor] ?? context.length, origin[cursor] ?? context.length])
    else if (word && s) word[1] = s[1]
  })
  return { tokens: spans, wordOf, words }
}

/** Character span of the answer from token `first` to token `last`. */
export function answerSpan(o: ContextOffsets, first: number, last: number, alignToWords: boolean): CharSpan {
  if (alignToWords) return [o.words[o.wordOf[first]!]![0], o.words[o.wordOf[last]!]![1]]
  const from = o.tokens[first]?.[0] ?? o.words[o.wordOf[first]!]![0]
  return [from, Math.max(from, o.tokens[last]?.[1] ?? o.words[o.wordOf[last]!]![1])]
}

/** The context lower-cased with accents stripped, and for each of its characters the original index. */
function normalized(context: string): { text: string; origin: number[] } {
  let text = ''
  const origin: number[] = []
  for (let i = 0; i < context.length;) {
    const cp = context.codePointAt(i)!
    const ch = String.fromCodePoint(cp)
    const norm = ch.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '')
    for (let k = 0; k < norm.length; k++) origin.push(i)
    text += norm
    i += ch.length
  }
  return { text, origin }
}

function findPiece(text: string, piece: string, cursor: number): CharSpan | undefined {
  const at = text.indexOf(piece, cursor)
  return at < 0 || piece.length === 0 ? undefined : [at, at + piece.length]
}

/** An unknown token is a whole word: the run of characters up to the next space or punctuation. */
function unknownWord(text: string, cursor: number): CharSpan | undefined {
  let from = cursor
  while (from < text.length && /\s/.test(text[from]!)) from++
  if (from >= text.length) return undefined
  let to = from + 1
  if (!/\p{P}/u.test(text[from]!)) while (to < text.length && /[^\s\p{P}]/u.test(text[to]!)) to++
  return [from, to]
}
