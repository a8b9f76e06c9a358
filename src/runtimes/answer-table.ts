/**
 * What a model answered (an Arrow table, or plain columns by field name) → a table of exactly the
 * output schema with one row per input row. Used where the answer comes from code or a peer Quiver
 * does not control (JavaScript modules, remote endpoints): a wrong row count, a missing field or a
 * value of the wrong type fails with the model and the field, row, expected and got.
 */
import * as arrow from 'apache-arrow'
import { buildColumn } from '../data/column-builder.js'
import { conformTable } from '../data/arrow-conform.js'
import { toArrowSchema, type ModelSchema } from '../data/schema.js'
import { errorMessage, isQuiverError, RuntimeFailure } from '../errors.js'
import { makeAnyData } from '../data/arrow-data.js'

/** An Arrow table from this process or another copy of apache-arrow: told by shape, not `instanceof`. */
export function isTableLike(value: unknown): value is arrow.Table {
  return typeof value === 'object' && value !== null && typeof (value as arrow.Table).numRows === 'number' &&
    typeof (value as arrow.Table).getChild === 'function' && typeof (value as arrow.Table).schema === 'object'
}

/**
 * Checks and shapes an answer. `model` names the model in errors (`name:uuid`); `rows` is the
 * number of input rows the answer must match.
 */
export function answerTable(answer: unknown, schema: ModelSchema, rows: number, model: string): arrow.Table {
  try {
    if (isTableLike(answer)) return fromTable(answer, schema, rows, model)
    if (typeof answer === 'object' && answer !== null && !Array.isArray(answer)) return fromColumns(answer as Record<string, unknown>, schema, rows, model)
  } catch (err) {
    if (isQuiverError(err) && err.code === 'runtime_failure') throw err
    throw new RuntimeFailure(`${model} answered a value that does not fit its output schema: ${errorMessage(err)}`, isQuiverError(err) ? err.details : undefined, { cause: err })
  }
  const got = answer === null ? 'null' : Array.isArray(answer) ? 'an array' : typeof answer
  throw new RuntimeFailure(`${model} answered ${got}; expected an Arrow table (or an object of columns by output field name)`)
}

function checkRows(got: number, rows: number, model: string): void {
  if (got !== rows) throw new RuntimeFailure(`${model} answered ${got} rows for ${rows} input rows; every input row must yield exactly one output row`, { expected: String(rows), got: String(got) })
}

function fromTable(table: arrow.Table, schema: ModelSchema, rows: number, model: string): arrow.Table {
  checkRows(table.numRows, rows, model)
  const names = new Set(table.schema.fields.map((f) => f.name))
  for (const f of schema) {
    if (!names.has(f.name)) throw new RuntimeFailure(`${model} answered no column '${f.name}'; its output schema has ${schema.map((x) => x.name).join(', ')}`, { field: f.name })
  }
  // Only the schema's fields, in its order; extra columns are dropped.
  const picked = table.select(schema.map((f) => f.name))
  return conformTable(picked as arrow.Table, schema, true)
}

function fromColumns(columns: Record<string, unknown>, schema: ModelSchema, rows: number, model: string): arrow.Table {
  const arrowSchema = toArrowSchema(schema)
  const children: arrow.Data[] = []
  for (const f of schema) {
    const values = columns[f.name]
    if (values === undefined) throw new RuntimeFailure(`${model} answered no column '${f.name}'; its output schema has ${schema.map((x) => x.name).join(', ')}`, { field: f.name })
    const list = asValues(values)
    if (!list) throw new RuntimeFailure(`${model} answered column '${f.name}' as ${typeof values}; expected an array of values`, { field: f.name })
    checkRows(list.length, rows, model)
    children.push(buildColumn(list, f.type, { field: f.name, rowOf: (i) => i, nullsAllowed: true, allowNull: f.nullable }))
  }
  const data = makeAnyData({ type: new arrow.Struct(arrowSchema.fields), length: rows, nullCount: 0, children })
  return new arrow.Table(arrowSchema, [new arrow.RecordBatch(arrowSchema, data as arrow.Data<arrow.Struct>)])
}

function asValues(v: unknown): ArrayLike<unknown> | null {
  if (Array.isArray(v)) return v
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as ArrayLike<unknown>
  if (typeof v === 'object' && v !== null && typeof (v as arrow.Vector).toArray === 'function' && typeof (v as arrow.Vector).length === 'number') {
    return (v as arrow.Vector).toArray() as ArrayLike<unknown>
  }
  return null
}
