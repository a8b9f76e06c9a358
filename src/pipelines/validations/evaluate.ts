/**
 * Vectorised evaluation of a type-checked expression: each node produces one typed array over all
 * rows. Nulls follow SQL's three-valued logic: arithmetic and comparisons with a null operand are
 * null, `false and null` is false, `true or null` is true, `not null` is null.
 */
import * as arrow from 'apache-arrow'
import type { Expr } from './expression.js'
import { fieldLabel } from './expression.js'
import { type BoolColumn, type Column, type NumberColumn, type StringColumn, readColumn } from './columns.js'

export interface EvaluationInput {
  in: arrow.Table
  out: arrow.Table
}

/** Field columns read once per evaluation and shared by every expression that names them. */
export class ColumnCache {
  private readonly columns = new Map<string, Column>()
  readonly rows: number
  constructor(readonly tables: EvaluationInput) {
    this.rows = tables.in.numRows
  }
  field(e: Extract<Expr, { kind: 'field' }>): Column {
    const label = fieldLabel(e)
    let c = this.columns.get(label)
    if (c === undefined) {
      c = readColumn(this.tables[e.scope], e.name, e.indices, label)
      this.columns.set(label, c)
    }
    return c
  }
}

/** Evaluates a bool expression; the result's `valid` marks rows where it is not null. */
export function evaluateCondition(e: Expr, cache: ColumnCache): BoolColumn {
  return evaluate(e, cache) as BoolColumn
}

function evaluate(e: Expr, cache: ColumnCache): Column {
  const n = cache.rows
  switch (e.kind) {
    case 'number': return { type: 'number', values: new Float64Array(n).fill(e.value), valid: null }
    case 'bool': return { type: 'bool', values: new Uint8Array(n).fill(e.value ? 1 : 0), valid: null }
    case 'string': {
      const bytes = new TextEncoder().encode(e.value)
      return { type: 'string', bytes, starts: new Int32Array(n), ends: new Int32Array(n).fill(bytes.length), valid: null }
    }
    case 'field': return cache.field(e)
    case 'unary': {
      const a = evaluate(e.arg, cache)
      if (e.op === 'not') {
        const v = (a as BoolColumn).values
        const out = new Uint8Array(n)
        for (let i = 0; i < n; i++) out[i] = v[i]! ^ 1
        return { type: 'bool', values: out, valid: a.valid }
      }
      const v = (a as NumberColumn).values
      const out = new Float64Array(n)
      for (let i = 0; i < n; i++) out[i] = -v[i]!
      return { type: 'number', values: out, valid: a.valid }
    }
    case 'binary': {
      const l = evaluate(e.left, cache)
      const r = evaluate(e.right, cache)
      switch (e.op) {
        case 'and': return kleene(l as BoolColumn, r as BoolColumn, 0, n)
        case 'or': return kleene(l as BoolColumn, r as BoolColumn, 1, n)
        case '+': case '-': case '*': case '/': case '%':
          return { type: 'number', values: arithmetic(e.op, (l as NumberColumn).values, (r as NumberColumn).values, n), valid: both(l.valid, r.valid, n) }
        default:
          return { type: 'bool', values: compare(e.op, l, r, n), valid: both(l.valid, r.valid, n) }
      }
    }
  }
}

function both(a: Uint8Array | null, b: Uint8Array | null, n: number): Uint8Array | null {
  if (a === null) return b
  if (b === null) return a
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = a[i]! & b[i]!
  return out
}

/** `and` (dominant = 0) or `or` (dominant = 1): a present dominant value decides even beside a null. */
function kleene(l: BoolColumn, r: BoolColumn, dominant: 0 | 1, n: number): BoolColumn {
  const values = new Uint8Array(n)
  const lv = l.values
  const rv = r.values
  if (l.valid === null && r.valid === null) {
    if (dominant === 0) for (let i = 0; i < n; i++) values[i] = lv[i]! & rv[i]!
    else for (let i = 0; i < n; i++) values[i] = lv[i]! | rv[i]!
    return { type: 'bool', values, valid: null }
  }
  const valid = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const lp = l.valid === null ? 1 : l.valid[i]!
    const rp = r.valid === null ? 1 : r.valid[i]!
    const ld = lp & (lv[i]! === dominant ? 1 : 0)
    const rd = rp & (rv[i]! === dominant ? 1 : 0)
    if (ld | rd) { values[i] = dominant; valid[i] = 1 } else if (lp & rp) { values[i] = dominant ^ 1; valid[i] = 1 }
  }
  return { type: 'bool', values, valid }
}

function arithmetic(op: '+' | '-' | '*' | '/' | '%', a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n)
  switch (op) {
    case '+': for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!; break
    case '-': for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!; break
    case '*': for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!; break
    case '/': for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!; break
    case '%': for (let i = 0; i < n; i++) out[i] = a[i]! % b[i]!; break
  }
  return out
}

type Comparison = '==' | '!=' | '<' | '<=' | '>' | '>='

function compare(op: Comparison, l: Column, r: Column, n: number): Uint8Array {
  if (l.type === 'string') return compareStrings(op, l, r as StringColumn, n)
  const a = (l as NumberColumn | BoolColumn).values
  const b = (r as NumberColumn | BoolColumn).values
  const out = new Uint8Array(n)
  switch (op) {
    case '==': for (let i = 0; i < n; i++) out[i] = a[i]! === b[i]! ? 1 : 0; break
    case '!=': for (let i = 0; i < n; i++) out[i] = a[i]! !== b[i]! ? 1 : 0; break
    case '<': for (let i = 0; i < n; i++) out[i] = a[i]! < b[i]! ? 1 : 0; break
    case '<=': for (let i = 0; i < n; i++) out[i] = a[i]! <= b[i]! ? 1 : 0; break
    case '>': for (let i = 0; i < n; i++) out[i] = a[i]! > b[i]! ? 1 : 0; break
    case '>=': for (let i = 0; i < n; i++) out[i] = a[i]! >= b[i]! ? 1 : 0; break
  }
  return out
}

/** UTF-8 bytes compared lexicographically, which orders strings by code point. */
function compareStrings(op: Comparison, l: StringColumn, r: StringColumn, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const c = compareBytes(l.bytes, l.starts[i]!, l.ends[i]!, r.bytes, r.starts[i]!, r.ends[i]!)
    out[i] = (op === '==' ? c === 0 : op === '!=' ? c !== 0 : op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0) ? 1 : 0
  }
  return out
}

function compareBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const la = ae - as
  const lb = be - bs
  const m = la < lb ? la : lb
  for (let k = 0; k < m; k++) {
    const d = a[as + k]! - b[bs + k]!
    if (d !== 0) return d
  }
  return la - lb
}
