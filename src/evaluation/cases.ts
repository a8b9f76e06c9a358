/**
 * Test cases: named slices of a suite written in the validations' grammar over the suite's columns
 * (`in.age >= 60 and in.country == "NL"`), checked when the suite is created and evaluated
 * columnar into one 0/1 mask per case.
 */
import * as arrow from 'apache-arrow'
import type { ModelSchema } from '../data/schema.js'
import { InvalidInput, isQuiverError } from '../errors.js'
import { ColumnCache, evaluateCondition } from '../pipelines/validations/evaluate.js'
import type { Expr } from '../pipelines/validations/expression.js'
import { parseExpression } from '../pipelines/validations/parse.js'
import { typeOf } from '../pipelines/validations/typecheck.js'

import type { CaseDefinition } from './results.js'

export type { CaseDefinition } from './results.js'

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/

/** Parses and type-checks every case against the suite's columns; refuses bad names and duplicates. */
export function compileCases(cases: readonly CaseDefinition[], schema: ModelSchema): Map<string, Expr> {
  const out = new Map<string, Expr>()
  for (const c of cases) {
    if (!NAME.test(c.name) || c.name === 'all') {
      throw new InvalidInput(`case name ${JSON.stringify(c.name)} is not allowed: use 1-63 letters, digits, '_' or '-', starting with a letter or '_', and not 'all' (the whole suite)`, {
        field: 'case', got: c.name,
      })
    }
    if (out.has(c.name)) throw new InvalidInput(`case '${c.name}' is defined twice`, { field: 'case', got: c.name })
    try {
      const tree = parseExpression(c.expression)
      const type = typeOf(tree, { in: schema, out: [] })
      if (type !== 'bool') throw new InvalidInput(`the expression is a ${type}; a case must be a condition such as in.age >= 60`)
      out.set(c.name, tree)
    } catch (err) {
      if (!isQuiverError(err)) throw err
      throw new InvalidInput(`case '${c.name}' (${JSON.stringify(c.expression)}): ${err.message}`, { ...err.details, field: 'case', case: c.name })
    }
  }
  return out
}

/** Per case, 1 for the rows it selects (a null condition selects nothing). */
export function caseMasks(cases: ReadonlyMap<string, Expr>, table: arrow.Table): Map<string, Uint8Array> {
  const cache = new ColumnCache({ in: table, out: new arrow.Table() })
  const out = new Map<string, Uint8Array>()
  for (const [name, tree] of cases) {
    const { values, valid } = evaluateCondition(tree, cache)
    const mask = new Uint8Array(table.numRows)
    for (let i = 0; i < mask.length; i++) mask[i] = values[i]! & (valid === null ? 1 : valid[i]!)
    out.set(name, mask)
  }
  return out
}

/** Parses `NAME="EXPR"` as given on the command line. */
export function parseCaseArgument(arg: string): CaseDefinition {
  const eq = arg.indexOf('=')
  if (eq <= 0) throw new InvalidInput(`--case expects NAME="EXPR", got ${JSON.stringify(arg)}`, { field: 'case', got: arg })
  return { name: arg.slice(0, eq), expression: arg.slice(eq + 1) }
}
