/** Answers that arrive as rows or columns of JSON (MLflow's predictions, Quiver's result JSON) → columns by output field. */
import type { ModelSchema } from '../../data/schema.js'
import { RuntimeFailure } from '../../errors.js'

/**
 * Records `[{field: value}]`, columns `{"columns": {...}}` or `{field: [...]}`, or, for a single
 * output field, a bare list of values. A field named `out.<name>` (Quiver's result table) counts
 * as `<name>`.
 */
export function answerColumns(answer: unknown, schema: ModelSchema, where: string): Record<string, unknown[]> {
  if (Array.isArray(answer)) {
    if (answer.length > 0 && answer.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) return recordsToColumns(answer as Record<string, unknown>[], schema)
    if (schema.length === 1) return { [schema[0]!.name]: answer }
    throw new RuntimeFailure(`${where} answered a list of ${answer.length ? typeof answer[0] : 'nothing'}; expected one object per row with ${schema.map((f) => f.name).join(', ')}`)
  }
  if (typeof answer === 'object' && answer !== null) {
    const cols = (answer as { columns?: unknown }).columns ?? answer
    if (typeof cols === 'object' && cols !== null && !Array.isArray(cols)) {
      const out: Record<string, unknown[]> = {}
      for (const [k, v] of Object.entries(cols)) if (Array.isArray(v)) out[k.startsWith('out.') ? k.slice(4) : k] = v
      return out
    }
  }
  throw new RuntimeFailure(`${where} answered ${answer === null ? 'null' : typeof answer}; expected rows or columns of ${schema.map((f) => f.name).join(', ')}`)
}

function recordsToColumns(records: Record<string, unknown>[], schema: ModelSchema): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {}
  for (const f of schema) {
    const key = f.name in records[0]! ? f.name : `out.${f.name}` in records[0]! ? `out.${f.name}` : null
    if (key === null) continue
    out[f.name] = records.map((r) => r[key])
  }
  return out
}
