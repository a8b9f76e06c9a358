/**
 * A table file (CSV, JSON, JSON lines, Parquet, Arrow IPC) whose schema is not known beforehand →
 * an Arrow table, through the data layer: the column types are inferred from the values (integers
 * → int64, other numbers → float64, true/false → bool, lists of numbers → list<float64>, else
 * string), then the file is read and validated against that schema like any inference input.
 */
import { basename } from 'node:path'
import * as arrow from 'apache-arrow'
import { parseCsv } from '../data/csv.js'
import { readParquetBytes } from '../data/duckdb/files.js'
import type { InferInput } from '../data/infer-input.js'
import { readInputFile } from '../data/input-file.js'
import { type FieldType, type ModelSchema, fromArrowSchema } from '../data/schema.js'
import { readTable } from '../data/table-input.js'
import { InvalidInput } from '../errors.js'
import { inputLimits } from '../data/input-limits.js'

export interface SampleTable {
  table: arrow.Table
  schema: ModelSchema
}

/** Reads a table file, inferring its schema; `what` names it in errors. */
export async function readSampleFile(path: string): Promise<SampleTable> {
  return readSampleInput(await readInputFile(path), basename(path))
}

export async function readSampleInput(input: InferInput, what: string): Promise<SampleTable> {
  const schema = await inferSchema(input, what)
  const table = await readTable(input, schema, { nullsAllowed: true })
  return { table, schema }
}

async function inferSchema(input: InferInput, what: string): Promise<ModelSchema> {
  switch (input.kind) {
    case 'table': return fromArrowSchema(input.table.schema)
    case 'arrow': return fromArrowSchema(arrow.tableFromIPC(input.bytes).schema)
    case 'csv': {
      const { header, rows } = parseCsv(input.text)
      return header.map((name, c) => ({ name, type: csvType(rows, c), nullable: true }))
    }
    case 'json': return jsonSchema(input.value, what)
    case 'parquet': return fromArrowSchema((await readParquetBytes(input.bytes, inputLimits())).schema)
  }
}

const INTEGER = /^-?\d{1,15}$/
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^-?(?:inf|Infinity)$|^NaN$/i

function csvType(rows: (string | null)[][], c: number): FieldType {
  let integer = true
  let numeric = true
  let bool = true
  let any = false
  for (const r of rows) {
    const cell = r[c]
    if (cell === null || cell === undefined) continue
    any = true
    if (integer && !INTEGER.test(cell)) integer = false
    if (numeric && !NUMBER.test(cell)) numeric = false
    if (bool && cell !== 'true' && cell !== 'false') bool = false
    if (!integer && !numeric && !bool) return 'string'
  }
  if (!any) return 'string'
  return integer ? 'int64' : numeric ? 'float64' : bool ? 'bool' : 'string'
}

function jsonSchema(value: unknown, what: string): ModelSchema {
  let columns: Map<string, unknown[]>
  if (Array.isArray(value)) {
    columns = new Map()
    value.forEach((row, i) => {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        throw new InvalidInput(`${what} row ${i} is not an object; expected records [{"column": value, …}]`, { row: i })
      }
      for (const [k, v] of Object.entries(row)) {
        let col = columns.get(k)
        if (!col) columns.set(k, (col = []))
        col.push(v)
      }
    })
  } else if (typeof value === 'object' && value !== null && 'columns' in value && typeof value.columns === 'object' && value.columns !== null) {
    columns = new Map(Object.entries(value.columns as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? v : []]))
  } else {
    throw new InvalidInput(`${what} must hold records [{"column": value, …}] or {"columns": {…}}`, { expected: 'records or columns' })
  }
  return [...columns].map(([name, values]) => ({ name, type: valueType(values, `${what} column ${name}`), nullable: true }))
}

function valueType(values: readonly unknown[], what: string): FieldType {
  let kind: string | null = null
  let integer = true
  let size: number | null | undefined
  for (const v of values) {
    if (v === null || v === undefined) continue
    const k = typeof v === 'bigint' ? 'number' : v instanceof Date ? 'date' : Array.isArray(v) ? 'list' : typeof v
    if (kind !== null && kind !== k) throw new InvalidInput(`${what} mixes ${kind} and ${k} values`, { field: what, expected: `${kind} values`, got: k })
    kind = k
    if (k === 'number' && typeof v === 'number' && !Number.isInteger(v)) integer = false
    if (k === 'list') {
      const len = (v as unknown[]).length
      size = size === undefined || size === len ? len : null
    }
  }
  switch (kind) {
    case 'number': return integer ? 'int64' : 'float64'
    case 'boolean': return 'bool'
    case 'date': return 'timestamp[ms]'
    case 'list': return { list: 'float64', size: size ?? null }
    default: return 'string'
  }
}
