import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as arrow from 'apache-arrow'
import type { ModelSchema } from '../../src/data/schema.js'
import { isQuiverError } from '../../src/errors.js'
import { Validation, compileValidations, evaluateValidations } from '../../src/pipelines/validations/validation.js'

const SCHEMAS: { in: ModelSchema; out: ModelSchema } = {
  in: [
    { name: 'a', type: 'float64', nullable: true },
    { name: 'b', type: 'int32', nullable: false },
    { name: 'c', type: 'int64', nullable: false },
    { name: 's', type: 'string', nullable: true },
    { name: 'flag', type: 'bool', nullable: true },
    { name: 'v', type: { list: 'float32', size: 3 }, nullable: true },
    { name: 'w', type: { list: 'int16', size: null }, nullable: true },
    { name: 'raw', type: 'binary', nullable: true },
  ],
  out: [
    { name: 'score', type: 'float32', nullable: false },
    { name: 'label', type: 'string', nullable: false },
    { name: 'probs', type: { list: 'float64', size: 2 }, nullable: false },
    { name: 'half', type: 'float16', nullable: false },
    { name: 'grid', type: { list: { list: 'int8', size: 2 }, size: 2 }, nullable: false },
  ],
}

/** Deterministic PRNG so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WORDS = ['', 'a', 'ab', 'b', 'é', 'zz', '中文', 'a b']

function randomTables(rows: number, seed: number): { in: arrow.Table; out: arrow.Table } {
  const r = rng(seed)
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!
  const maybe = <T>(f: () => T): T | null => (r() < 0.15 ? null : f())
  const small = () => Math.floor(r() * 7) - 3
  const cols = {
    a: Array.from({ length: rows }, () => maybe(() => (r() < 0.5 ? small() : (r() - 0.5) * 10))),
    b: Array.from({ length: rows }, small),
    c: Array.from({ length: rows }, () => BigInt(small())),
    s: Array.from({ length: rows }, () => maybe(() => pick(WORDS))),
    flag: Array.from({ length: rows }, () => maybe(() => r() < 0.5)),
    v: Array.from({ length: rows }, () => maybe(() => [maybe(small), small(), r() * 4])),
    w: Array.from({ length: rows }, () => maybe(() => Array.from({ length: Math.floor(r() * 4) }, small))),
    raw: Array.from({ length: rows }, () => new Uint8Array([1])),
  }
  const out = {
    score: Array.from({ length: rows }, () => Math.fround(r() < 0.3 ? small() : r())),
    label: Array.from({ length: rows }, () => pick(WORDS)),
    probs: Array.from({ length: rows }, () => [r(), small()]),
    half: Array.from({ length: rows }, () => small() / 2),
    grid: Array.from({ length: rows }, () => [[small(), small()], [small(), small()]]),
  }
  const build = (schema: ModelSchema, values: Record<string, unknown[]>, cuts: number[]) => {
    const fields = schema.map((f) => f.name)
    const parts: arrow.Table[] = []
    let from = 0
    for (const to of [...cuts, rows]) {
      parts.push(new arrow.Table(Object.fromEntries(fields.map((name) => [name, vector(schema.find((f) => f.name === name)!, values[name]!.slice(from, to))]))))
      from = to
    }
    return parts.reduce((a, b) => a.concat(b))
  }
  // Different chunk boundaries on each side, as a model's output may have.
  return { in: build(SCHEMAS.in, cols, [rows >> 2, rows >> 1]), out: build(SCHEMAS.out, out, [rows / 3 | 0]) }
}

function vector(field: ModelSchema[number], values: unknown[]): arrow.Vector {
  const types: Record<string, arrow.DataType> = {
    a: new arrow.Float64(), b: new arrow.Int32(), c: new arrow.Int64(), s: new arrow.Utf8(), flag: new arrow.Bool(),
    v: new arrow.FixedSizeList(3, new arrow.Field('item', new arrow.Float32(), true)),
    w: new arrow.List(new arrow.Field('item', new arrow.Int16(), true)), raw: new arrow.Binary(),
    score: new arrow.Float32(), label: new arrow.Utf8(),
    probs: new arrow.FixedSizeList(2, new arrow.Field('item', new arrow.Float64(), true)), half: new arrow.Float16(),
    grid: new arrow.FixedSizeList(2, new arrow.Field('item', new arrow.FixedSizeList(2, new arrow.Field('item', new arrow.Int8(), true)), true)),
  }
  return arrow.vectorFromArray(values, types[field.name]!)
}

/** A generated expression: its source text and a row-at-a-time reference evaluation (null = SQL null). */
interface Gen { src: string; type: 'number' | 'string' | 'bool'; at: (t: { in: arrow.Table; out: arrow.Table }, row: number) => unknown }

function read(t: { in: arrow.Table; out: arrow.Table }, scope: 'in' | 'out', name: string, indices: number[], row: number): unknown {
  let v: unknown = t[scope].getChild(name)!.get(row)
  for (const i of indices) {
    if (v === null) return null
    const list = v as arrow.Vector
    v = i < list.length ? list.get(i) : null
  }
  return typeof v === 'bigint' ? Number(v) : v
}

const FIELDS: { src: string; scope: 'in' | 'out'; name: string; indices: number[]; type: Gen['type'] }[] = [
  { src: 'in.a', scope: 'in', name: 'a', indices: [], type: 'number' },
  { src: 'in.b', scope: 'in', name: 'b', indices: [], type: 'number' },
  { src: 'in.c', scope: 'in', name: 'c', indices: [], type: 'number' },
  { src: 'in.v[0]', scope: 'in', name: 'v', indices: [0], type: 'number' },
  { src: 'in.v[2]', scope: 'in', name: 'v', indices: [2], type: 'number' },
  { src: 'in.w[0]', scope: 'in', name: 'w', indices: [0], type: 'number' },
  { src: 'in.w[2]', scope: 'in', name: 'w', indices: [2], type: 'number' },
  { src: 'out.score', scope: 'out', name: 'score', indices: [], type: 'number' },
  { src: 'out.probs[1]', scope: 'out', name: 'probs', indices: [1], type: 'number' },
  { src: 'out.half', scope: 'out', name: 'half', indices: [], type: 'number' },
  { src: 'out.grid[1][0]', scope: 'out', name: 'grid', indices: [1, 0], type: 'number' },
  { src: 'in.s', scope: 'in', name: 's', indices: [], type: 'string' },
  { src: 'out.label', scope: 'out', name: 'label', indices: [], type: 'string' },
  { src: 'in.flag', scope: 'in', name: 'flag', indices: [], type: 'bool' },
]

function generate(r: () => number, type: Gen['type'], depth: number): Gen {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!
  const leaf = depth <= 0 || r() < 0.3
  if (type === 'number') {
    if (leaf) {
      if (r() < 0.3) {
        const value = pick([0, 1, -2, 0.5, 2.5, 3])
        return { src: String(value), type, at: () => value }
      }
      const f = pick(FIELDS.filter((x) => x.type === 'number'))
      return { src: f.src, type, at: (t, i) => read(t, f.scope, f.name, f.indices, i) }
    }
    if (r() < 0.15) {
      const a = generate(r, 'number', depth - 1)
      return { src: `-(${a.src})`, type, at: (t, i) => { const x = a.at(t, i); return x === null ? null : -(x as number) } }
    }
    const op = pick(['+', '-', '*', '/', '%'])
    const a = generate(r, 'number', depth - 1)
    const b = generate(r, 'number', depth - 1)
    const fn = { '+': (x: number, y: number) => x + y, '-': (x: number, y: number) => x - y, '*': (x: number, y: number) => x * y, '/': (x: number, y: number) => x / y, '%': (x: number, y: number) => x % y }[op]!
    return { src: `(${a.src} ${op} ${b.src})`, type, at: (t, i) => { const x = a.at(t, i); const y = b.at(t, i); return x === null || y === null ? null : fn(x as number, y as number) } }
  }
  if (type === 'string') {
    if (r() < 0.4) {
      const w = pick(WORDS)
      return { src: JSON.stringify(w), type, at: () => w }
    }
    const f = pick(FIELDS.filter((x) => x.type === 'string'))
    return { src: f.src, type, at: (t, i) => read(t, f.scope, f.name, f.indices, i) }
  }
  if (leaf) {
    if (r() < 0.5) {
      const sub = pick<Gen['type']>(['number', 'number', 'string', 'bool'])
      const ops = sub === 'bool' ? ['==', '!='] : ['==', '!=', '<', '<=', '>', '>=']
      const op = pick(ops)
      const a = generate(r, sub, sub === 'bool' ? 0 : depth - 1)
      const b = generate(r, sub, sub === 'bool' ? 0 : depth - 1)
      const cmp = (x: never, y: never) => ({ '==': x === y, '!=': x !== y, '<': x < y, '<=': x <= y, '>': x > y, '>=': x >= y })[op]!
      return { src: `(${a.src}) ${op} (${b.src})`, type, at: (t, i) => { const x = a.at(t, i); const y = b.at(t, i); return x === null || y === null ? null : cmp(x as never, y as never) } }
    }
    if (r() < 0.3) {
      const value = r() < 0.5
      return { src: String(value), type, at: () => value }
    }
    return { src: 'in.flag', type, at: (t, i) => read(t, 'in', 'flag', [], i) }
  }
  const kind = pick(['and', 'or', 'not'])
  if (kind === 'not') {
    const a = generate(r, 'bool', depth - 1)
    return { src: `not (${a.src})`, type, at: (t, i) => { const x = a.at(t, i); return x === null ? null : !x } }
  }
  const a = generate(r, 'bool', depth - 1)
  const b = generate(r, 'bool', depth - 1)
  return {
    src: `(${a.src}) ${kind} (${b.src})`, type,
    at: (t, i) => {
      const x = a.at(t, i)
      const y = b.at(t, i)
      if (kind === 'and') return x === false || y === false ? false : x === null || y === null ? null : true
      return x === true || y === true ? true : x === null || y === null ? null : false
    },
  }
}

describe('validations', () => {
  it('match a row-at-a-time reference evaluation on random data, nulls included', () => {
    const rows = 257
    const tables = randomTables(rows, 7)
    const r = rng(11)
    const gens = Array.from({ length: 400 }, () => generate(r, 'bool', 1 + Math.floor(r() * 4)))
    const validations = compileValidations(gens.map((g, k) => ({ name: `v${k}`, expression: g.src })), SCHEMAS)
    const result = evaluateValidations(validations, tables)
    let flagged = 0
    let nullRows = 0
    gens.forEach((g, k) => {
      const got = result[`v${k}`]!
      assert.equal(got.length, rows)
      assert.equal(got.nullCount, 0, 'anomaly columns hold no nulls')
      for (let i = 0; i < rows; i++) {
        const want = g.at(tables, i)
        if (want === null) nullRows++
        if (want === true) flagged++
        assert.equal(got.get(i), want === true, `${g.src} at row ${i}: reference ${String(want)}`)
      }
    })
    // The generated cases must exercise both outcomes and the null path, or this test proves little.
    assert.ok(flagged > 1000 && flagged < 400 * rows - 1000, `flagged ${flagged}`)
    assert.ok(nullRows > 1000, `null rows ${nullRows}`)
  })

  it('reads the documented examples', () => {
    const tables = randomTables(64, 3)
    const cases: [string, (i: number) => boolean][] = [
      ['out.score > 0.9', (i) => (tables.out.getChild('score')!.get(i) as number) > 0.9],
      ['out.probs[1] >= 0 and out.label == "a"', (i) => (tables.out.getChild('probs')!.get(i) as arrow.Vector).get(1) >= 0 && tables.out.getChild('label')!.get(i) === 'a'],
      ['not in.flag', (i) => tables.in.getChild('flag')!.get(i) === false],
      ['in.`a` * 2 + 1 > out.score', (i) => { const a = tables.in.getChild('a')!.get(i) as number | null; return a !== null && a * 2 + 1 > (tables.out.getChild('score')!.get(i) as number) }],
      ["in.s < 'b' or in.s == 'é'", (i) => { const s = tables.in.getChild('s')!.get(i) as string | null; return s !== null && (s < 'b' || s === 'é') }],
    ]
    for (const [expression, want] of cases) {
      const v = Validation.compile({ name: 'x', expression }, SCHEMAS)
      const got = evaluateValidations([v], tables)['x']!
      for (let i = 0; i < 64; i++) assert.equal(got.get(i), want(i), `${expression} row ${i}`)
    }
  })

  it('evaluates over an empty table', () => {
    const tables = randomTables(0, 1)
    const v = Validation.compile({ name: 'x', expression: 'out.score > 0.9 or in.s == "a"' }, SCHEMAS)
    assert.equal(evaluateValidations([v], tables)['x']!.length, 0)
  })

  it('refuses bad expressions, naming the position and the field', () => {
    const bad: [string, RegExp][] = [
      ['out.scor > 0.9', /unknown field out\.scor; the output fields are out\.score, .*position 1/],
      ['in.nope == 1', /unknown field in\.nope.*in\.a, in\.b/],
      ['out.score >', /ends early.*position 12/],
      ['out.score > 0.9 )', /unexpected '\)'.*position 17/],
      ['out.score = 1', /write '=='.*position 11/],
      ['out.score > 1 && in.flag', /write 'and'.*position 15/],
      ['!in.flag', /write 'not'/],
      ['out.score', /is a number; a validation must be a condition/],
      ['out.score + 1', /is a number/],
      ['out.label > 1', /compares two numbers or two strings, got string > number.*position 11/],
      ['out.score == "x"', /cannot compare a number with a string/],
      ['in.flag < true', /compares two numbers or two strings/],
      ['in.flag + 1 > 0', /needs numbers on both sides/],
      ['not out.score', /'not' needs a bool/],
      ['-in.s == 1', /'-' needs a number/],
      ['out.score > 0.9 and 1', /'and' needs conditions/],
      ['out.probs > 0.5', /list<float64>\[2\]; pick one element, e.g\. out\.probs\[0\]/],
      ['out.probs[2] > 0.5', /index \[2\] is past the end of out\.probs, a list of 2/],
      ['out.score[0] > 0.5', /out\.score is a float32, not a list/],
      ['out.probs[-1] > 0', /whole number 0 or above/],
      ['out.probs[0.5] > 0', /whole number 0 or above/],
      ['in.raw == "x"', /binary, which validations cannot use/],
      ['score > 0.9', /unknown name 'score'; fields are written in\.NAME or out\.NAME/],
      ['1 < out.score < 2', /comparisons do not chain/],
      ['out.score > 9007199254740993', /past 2\^53/],
      ['out.label == "abc', /unterminated string/],
      ['out.label == "a\\q"', /unknown escape/],
      ['out.score > 1 # x', /unexpected character '#'/],
      ['out.score > 12abc', /malformed number/],
      ['out.', /expected a field name/],
      ['', /empty expression/],
      ['('.repeat(100) + 'true' + ')'.repeat(100), /nests deeper/],
      ['x'.repeat(5000), /at most 4096/],
    ]
    for (const [expression, pattern] of bad) {
      assert.throws(() => Validation.compile({ name: 'bad', expression }, SCHEMAS), (err: unknown) => {
        assert.ok(isQuiverError(err) && err.code === 'invalid_input', `${expression}: ${String(err)}`)
        assert.match(err.message, /^validation 'bad' /)
        assert.match(err.message, pattern, expression)
        return true
      }, expression)
    }
    const unknown = (() => { try { Validation.compile({ name: 'bad', expression: 'out.x > 1' }, SCHEMAS) } catch (e) { return e } })()
    assert.deepEqual((unknown as { details: unknown }).details, { position: 1, field: 'out.x', validation: 'bad' })
  })

  it('refuses bad and duplicate names', () => {
    for (const name of ['', 'count', '1x', 'a-b', 'a.b', 'x'.repeat(64)]) {
      assert.throws(() => Validation.compile({ name, expression: 'true' }, SCHEMAS), /validation name .* is not allowed/, name)
    }
    assert.throws(() => compileValidations([{ name: 'a', expression: 'true' }, { name: 'a', expression: 'false' }], SCHEMAS), /defined twice/)
  })
})
