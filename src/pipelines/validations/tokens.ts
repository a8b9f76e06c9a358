/** Splits a validation expression into tokens; anything outside the grammar is refused by position. */
import { InvalidInput } from '../../errors.js'

export type Token =
  | { kind: 'number'; value: number; text: string; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'name'; value: string; quoted: boolean; pos: number }
  | { kind: 'op'; value: string; pos: number }
  | { kind: 'end'; pos: number }

const OPERATORS = ['==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '(', ')', '[', ']', '.']
/** Spellings from other languages, refused with the one this grammar uses. */
const MISSPELLINGS: Record<string, string> = { '&&': 'and', '||': 'or', '!': 'not', '=': '==', '<>': '!=' }
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" }

export function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  const fail = (message: string, at: number): never => {
    throw new InvalidInput(`${message} (at position ${at + 1})`, { position: at + 1 })
  }
  while (i < source.length) {
    const c = source[i]!
    if (/\s/.test(c)) { i++; continue }
    const start = i
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(source.slice(i))!
      if (/[A-Za-z_]/.test(source[i + m[0].length] ?? '')) fail(`malformed number '${source.slice(i, i + m[0].length + 1)}'`, start)
      tokens.push({ kind: 'number', value: Number(m[0]), text: m[0], pos: start + 1 })
      i += m[0].length
      continue
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!
      tokens.push({ kind: 'name', value: m[0], quoted: false, pos: start + 1 })
      i += m[0].length
      continue
    }
    if (c === '`') {
      const end = source.indexOf('`', i + 1)
      if (end < 0) fail('unterminated `quoted name`', start)
      if (end === i + 1) fail('empty `quoted name`', start)
      tokens.push({ kind: 'name', value: source.slice(i + 1, end), quoted: true, pos: start + 1 })
      i = end + 1
      continue
    }
    if (c === '"' || c === "'") {
      let value = ''
      i++
      for (;;) {
        if (i >= source.length) fail('unterminated string', start)
        const d = source[i]!
        if (d === c) { i++; break }
        if (d === '\\') {
          const e = ESCAPES[source[i + 1] ?? '']
          if (e === undefined) fail(`unknown escape '\\${source[i + 1] ?? ''}' in string`, i)
          value += e
          i += 2
          continue
        }
        value += d
        i++
      }
      tokens.push({ kind: 'string', value, pos: start + 1 })
      continue
    }
    const two = source.slice(i, i + 2)
    const wrong = MISSPELLINGS[two] !== undefined ? two : MISSPELLINGS[c] !== undefined && !OPERATORS.includes(two) ? c : undefined
    if (wrong !== undefined) fail(`'${wrong}' is not an operator here; write '${MISSPELLINGS[wrong]}'`, start)
    const op = OPERATORS.find((o) => source.startsWith(o, i))
    if (op === undefined) fail(`unexpected character '${c}'`, start)
    tokens.push({ kind: 'op', value: op!, pos: start + 1 })
    i += op!.length
  }
  tokens.push({ kind: 'end', pos: source.length + 1 })
  return tokens
}
