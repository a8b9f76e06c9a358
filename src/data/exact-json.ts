/**
 * JSON text → values without losing numbers: integers beyond ±2^53 become bigints, and the bare
 * tokens `NaN`, `Infinity` and `-Infinity` (as rapidjson, Python's json and Triton's clients
 * write them) become those numbers. Text with neither goes through `JSON.parse` unchanged, so the
 * common small request pays only for one regular-expression test.
 */

/** An integer token of 16 digits or more: the only kind that may lie beyond ±2^53. */
const LONG_INTEGER = /(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/

const NON_FINITE_TOKEN = /(?:^|[^"\w])(?:NaN|-?Infinity)/

export class JsonSyntaxError extends SyntaxError {}

/** Parses JSON text exactly; throws SyntaxError (with the position) for text that is not JSON. */
export function parseExactJson(text: string): unknown {
  if (!LONG_INTEGER.test(text)) {
    try {
      return JSON.parse(text)
    } catch (err) {
      if (!NON_FINITE_TOKEN.test(text)) throw err
    }
  }
  return new ExactParser(text).document()
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

const WS = new Uint8Array(128)
for (const c of ' \t\n\r') WS[c.charCodeAt(0)] = 1

/**
 * A recursive-descent reader for the texts `JSON.parse` cannot take exactly. Strings are handed to
 * `JSON.parse` whole (escapes are its business); numbers are sliced and converted once.
 */
class ExactParser {
  readonly #s: string
  #i = 0

  constructor(text: string) {
    this.#s = text
  }

  document(): unknown {
    const v = this.#value(0)
    this.#skip()
    if (this.#i < this.#s.length) this.#fail('unexpected text after the JSON value')
    return v
  }

  #value(depth: number): unknown {
    if (depth > 10_000) this.#fail('nesting is too deep')
    this.#skip()
    const s = this.#s
    const c = s.charCodeAt(this.#i)
    if (c === 0x7b) return this.#object(depth)
    if (c === 0x5b) return this.#array(depth)
    if (c === 0x22) return this.#string()
    if (s.startsWith('true', this.#i)) return this.#literal(4, true)
    if (s.startsWith('false', this.#i)) return this.#literal(5, false)
    if (s.startsWith('null', this.#i)) return this.#literal(4, null)
    if (s.startsWith('NaN', this.#i)) return this.#literal(3, Number.NaN)
    if (s.startsWith('Infinity', this.#i)) return this.#literal(8, Number.POSITIVE_INFINITY)
    if (s.startsWith('-Infinity', this.#i)) return this.#literal(9, Number.NEGATIVE_INFINITY)
    return this.#number()
  }

  #literal<T>(length: number, value: T): T {
    this.#i += length
    return value
  }

  #object(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    this.#i++
    this.#skip()
    if (this.#s.charCodeAt(this.#i) === 0x7d) {
      this.#i++
      return out
    }
    for (;;) {
      this.#skip()
      if (this.#s.charCodeAt(this.#i) !== 0x22) this.#fail('expected a property name in double quotes')
      const key = this.#string()
      this.#skip()
      if (this.#s.charCodeAt(this.#i) !== 0x3a) this.#fail("expected ':' after a property name")
      this.#i++
      // defineProperty, not assignment: a key "__proto__" is data, as with JSON.parse.
      Object.defineProperty(out, key, { value: this.#value(depth + 1), enumerable: true, writable: true, configurable: true })
      this.#skip()
      const c = this.#s.charCodeAt(this.#i++)
      if (c === 0x7d) return out
      if (c !== 0x2c) this.#fail("expected ',' or '}' in an object", this.#i - 1)
    }
  }

  #array(depth: number): unknown[] {
    const out: unknown[] = []
    this.#i++
    this.#skip()
    if (this.#s.charCodeAt(this.#i) === 0x5d) {
      this.#i++
      return out
    }
    for (;;) {
      out.push(this.#value(depth + 1))
      this.#skip()
      const c = this.#s.charCodeAt(this.#i++)
      if (c === 0x5d) return out
      if (c !== 0x2c) this.#fail("expected ',' or ']' in an array", this.#i - 1)
    }
  }

  #string(): string {
    const s = this.#s
    const start = this.#i
    let i = start + 1
    for (;;) {
      const c = s.charCodeAt(i)
      if (Number.isNaN(c)) this.#fail('unterminated string', start)
      if (c === 0x22) break
      i += c === 0x5c ? 2 : 1
    }
    this.#i = i + 1
    try {
      return JSON.parse(s.slice(start, i + 1)) as string
    } catch {
      return this.#fail('bad string (control character or escape)', start)
    }
  }

  #number(): number | bigint {
    const s = this.#s
    const start = this.#i
    let i = start
    if (s.charCodeAt(i) === 0x2d) i++
    const digits = i
    let value = 0
    for (let c = s.charCodeAt(i); c >= 0x30 && c <= 0x39; c = s.charCodeAt(++i)) value = value * 10 + (c - 0x30)
    const c = s.charCodeAt(i)
    if (i === digits || (s.charCodeAt(digits) === 0x30 && i > digits + 1)) this.#fail('unexpected character', start)
    if (c !== 0x2e && c !== 0x65 && c !== 0x45) {
      this.#i = i
      // Up to 15 digits the running value is exact; past that, let the digits decide.
      if (i - digits <= 15) return s.charCodeAt(start) === 0x2d ? -value : value
      const n = Number(s.slice(start, i))
      return Number.isSafeInteger(n) ? n : BigInt(s.slice(start, i))
    }
    NUMBER.lastIndex = start
    const m = NUMBER.exec(s)
    if (!m) return this.#fail('unexpected character', start)
    this.#i = start + m[0].length
    return Number(m[0])
  }

  #skip(): void {
    const s = this.#s
    let i = this.#i
    while (i < s.length) {
      const c = s.charCodeAt(i)
      if (c >= 128 || WS[c] === 0) break
      i++
    }
    this.#i = i
  }

  #fail(what: string, at = this.#i): never {
    const near = this.#s.slice(at, at + 20)
    throw new JsonSyntaxError(`${what} at position ${at}${near ? ` (near ${JSON.stringify(near)})` : ' (end of text)'}`)
  }
}

/**
 * An array as JSON text, exact where `JSON.stringify` is not: bigints as bare digits, -0 as `-0.0`
 * (so that parsers reading `-0` as the integer 0 still get the float). Nested arrays are walked.
 */
export function stringifyExactArray(values: readonly unknown[]): string {
  let plain = true
  for (const v of values) {
    if (typeof v === 'bigint' || Array.isArray(v) || Object.is(v, -0)) {
      plain = false
      break
    }
  }
  if (plain) return JSON.stringify(values)
  return `[${values.map(exactElement).join(',')}]`
}

function exactElement(v: unknown): string {
  if (typeof v === 'bigint') return v.toString()
  if (Object.is(v, -0)) return '-0.0'
  if (Array.isArray(v)) return stringifyExactArray(v)
  return JSON.stringify(v) ?? 'null'
}
