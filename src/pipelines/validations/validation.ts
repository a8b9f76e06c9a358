/**
 * Named validations (`high_fraud: out.score > 0.9`): parsed and type-checked when defined,
 * evaluated over a result's Arrow columns into one bool per row for SPEC §4's `anomaly.<name>`.
 * A row where the expression is null (a null field, a missing list element) is not flagged.
 */
import * as arrow from 'apache-arrow'
import { makeAnyData } from '../../data/arrow-data.js'
import { InvalidInput, isQuiverError } from '../../errors.js'
import { ColumnCache, type EvaluationInput, evaluateCondition } from './evaluate.js'
import type { Expr } from './expression.js'
import { parseExpression } from './parse.js'
import { type ExpressionSchemas, typeOf } from './typecheck.js'

export interface ValidationDefinition {
  name: string
  expression: string
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

export class Validation {
  private constructor(readonly name: string, readonly expression: string, private readonly tree: Expr) {}

  /** Parses and type-checks; throws `InvalidInput` naming the validation, the position and any unknown field. */
  static compile(def: ValidationDefinition, schemas: ExpressionSchemas): Validation {
    checkValidationName(def.name)
    try {
      const tree = parseExpression(def.expression)
      const type = typeOf(tree, schemas)
      if (type !== 'bool') {
        throw new InvalidInput(`the expression is a ${type}; a validation must be a condition such as out.score > 0.9`)
      }
      return new Validation(def.name, def.expression, tree)
    } catch (err) {
      if (!isQuiverError(err)) throw err
      throw new InvalidInput(`validation '${def.name}' (${JSON.stringify(def.expression)}): ${err.message}`, {
        ...err.details, validation: def.name,
      })
    }
  }

  /** One non-null bool per row: true where the condition holds. */
  evaluate(cache: ColumnCache): arrow.Vector<arrow.Bool> {
    const { values, valid } = evaluateCondition(this.tree, cache)
    const n = cache.rows
    const bits = new Uint8Array((n + 7) >> 3)
    for (let i = 0; i < n; i++) {
      if (values[i]! & (valid === null ? 1 : valid[i]!)) bits[i >> 3]! |= 1 << (i & 7)
    }
    return arrow.makeVector(makeAnyData({ type: new arrow.Bool(), length: n, nullCount: 0, data: bits }) as arrow.Data<arrow.Bool>)
  }
}

export function checkValidationName(name: string): void {
  if (!NAME.test(name) || name === 'count') {
    throw new InvalidInput(
      `validation name ${JSON.stringify(name)} is not allowed: use 1-63 letters, digits or '_', starting with a letter or '_', and not 'count' (anomaly.count is the total)`,
      { field: 'name', got: name },
    )
  }
}

/** Compiles a pipeline's validations, refusing duplicate names. */
export function compileValidations(defs: readonly ValidationDefinition[], schemas: ExpressionSchemas): Validation[] {
  const seen = new Set<string>()
  return defs.map((def) => {
    if (seen.has(def.name)) throw new InvalidInput(`validation '${def.name}' is defined twice`, { field: 'name', got: def.name })
    seen.add(def.name)
    return Validation.compile(def, schemas)
  })
}

/** `anomaly.<name>` columns for `buildResultTable`, reading each field once across all validations. */
export function evaluateValidations(validations: readonly Validation[], tables: EvaluationInput): Record<string, arrow.Vector<arrow.Bool>> {
  const out: Record<string, arrow.Vector<arrow.Bool>> = {}
  if (validations.length === 0) return out
  const cache = new ColumnCache(tables)
  for (const v of validations) out[v.name] = v.evaluate(cache)
  return out
}
