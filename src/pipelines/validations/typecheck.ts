/**
 * Type-checks a parsed expression against the input and output schemas of the pipeline it will
 * run on, so a bad validation is refused when it is defined, never while requests are served.
 */
import { type FieldType, type ModelSchema, isListType, isStructType, typeLabel } from '../../data/schema.js'
import { InvalidInput } from '../../errors.js'
import { type Expr, fieldLabel } from './expression.js'

export type ValueType = 'number' | 'string' | 'bool'

export interface ExpressionSchemas {
  in: ModelSchema
  out: ModelSchema
}

const NUMERIC = new Set([
  'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
  'float16', 'float32', 'float64', 'timestamp[ms]',
])

/** The expression's type; throws `InvalidInput` naming the position of the first type error. */
export function typeOf(e: Expr, schemas: ExpressionSchemas): ValueType {
  switch (e.kind) {
    case 'number': return 'number'
    case 'string': return 'string'
    case 'bool': return 'bool'
    case 'field': return fieldType(e, schemas)
    case 'unary': {
      const t = typeOf(e.arg, schemas)
      const want: ValueType = e.op === 'not' ? 'bool' : 'number'
      if (t !== want) fail(`'${e.op}' needs a ${want}, got a ${t}`, e.pos)
      return want
    }
    case 'binary': {
      const l = typeOf(e.left, schemas)
      const r = typeOf(e.right, schemas)
      switch (e.op) {
        case 'and':
        case 'or':
          if (l !== 'bool' || r !== 'bool') fail(`'${e.op}' needs conditions on both sides, got ${l} ${e.op} ${r}`, e.pos)
          return 'bool'
        case '==':
        case '!=':
          if (l !== r) fail(`cannot compare a ${l} with a ${r} using '${e.op}'`, e.pos)
          return 'bool'
        case '<':
        case '<=':
        case '>':
        case '>=':
          if (l !== r || l === 'bool') fail(`'${e.op}' compares two numbers or two strings, got ${l} ${e.op} ${r}`, e.pos)
          return 'bool'
        default:
          if (l !== 'number' || r !== 'number') fail(`'${e.op}' needs numbers on both sides, got ${l} ${e.op} ${r}`, e.pos)
          return 'number'
      }
    }
  }
}

function fieldType(e: Extract<Expr, { kind: 'field' }>, schemas: ExpressionSchemas): ValueType {
  const fields = schemas[e.scope]
  const field = fields.find((f) => f.name === e.name)
  if (field === undefined) {
    const known = fields.map((f) => `${e.scope}.${f.name}`).join(', ') || 'none'
    fail(`unknown field ${e.scope}.${e.name}; the ${e.scope === 'in' ? 'input' : 'output'} fields are ${known}`, e.pos, e.scope + '.' + e.name)
  }
  let t: FieldType = field!.type
  e.indices.forEach((index, k) => {
    const path = fieldLabel({ ...e, indices: e.indices.slice(0, k) })
    if (!isListType(t)) fail(`${path} is a ${typeLabel(t)}, not a list, so it cannot be indexed with [${index}]`, e.pos, path)
    const list = t as Exclude<FieldType, string> & { list: FieldType; size: number | null }
    if (list.size !== null && index >= list.size) {
      fail(`index [${index}] is past the end of ${path}, a list of ${list.size}`, e.pos, path)
    }
    t = list.list
  })
  const label = fieldLabel(e)
  if (typeof t === 'string') {
    if (NUMERIC.has(t)) return 'number'
    if (t === 'bool' || t === 'string') return t
  }
  if (isListType(t)) fail(`${label} is a ${typeLabel(t)}; pick one element, e.g. ${label}[0]`, e.pos, label)
  const what = isStructType(t) ? 'a struct' : `a ${typeLabel(t)}`
  return fail(`${label} is ${what}, which validations cannot use; use numbers, strings or bools`, e.pos, label)
}

function fail(message: string, pos: number, field?: string): never {
  throw new InvalidInput(`${message} (at position ${pos})`, field === undefined ? { position: pos } : { position: pos, field })
}
