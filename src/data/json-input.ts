/**
 * The table-level rules every input form shares (field set, row count), and the two JSON forms:
 * records `[{"f": v}, …]` and columns `{"columns": {"f": [v, …]}}`, turned into one value array
 * per schema field.
 */
import { InvalidInput } from '../errors.js'
import { type ModelSchema, isOptional, typeLabel } from './schema.js'
import { describeValue } from './input-error.js'

export function noRows(): InvalidInput {
  return new InvalidInput('input has no rows', { expected: 'at least one row', got: '0 rows' })
}

/**
 * Refuses a missing or an extra field; `rowOfExtra` names the row an extra field was seen in
 * (records). A missing optional field is allowed: the caller fills it with nulls.
 */
export function checkFieldNames(names: Iterable<string>, schema: ModelSchema, rowOfExtra?: (name: string) => number): void {
  const wanted = new Set(schema.map((f) => f.name))
  const present = new Set<string>()
  for (const name of names) {
    if (!wanted.has(name)) {
      const row = rowOfExtra?.(name)
      const where = row === undefined ? '' : ` (row ${row})`
      throw new InvalidInput(
        `input has field '${name}'${where} that the schema does not have; expected fields: ${schema.map((f) => f.name).join(', ')}`,
        { field: name, ...(row === undefined ? {} : { row }), expected: `one of ${[...wanted].join(', ')}`, got: 'an extra field' },
      )
    }
    present.add(name)
  }
  for (const f of schema) {
    if (!present.has(f.name) && !isOptional(f)) {
      throw new InvalidInput(`input is missing field '${f.name}' (expected ${typeLabel(f.type)})`, {
        field: f.name, expected: typeLabel(f.type), got: 'missing',
      })
    }
  }
}

export interface JsonColumns {
  /** One array of raw values per schema field, in schema order. */
  columns: unknown[][]
  rows: number
}

/** Splits JSON input (records or columns form) into per-field value arrays, checking its shape. */
export function jsonToColumns(value: unknown, schema: ModelSchema): JsonColumns {
  if (Array.isArray(value)) return recordsToColumns(value, schema)
  if (typeof value === 'object' && value !== null && 'columns' in value) {
    return columnsToColumns((value as { columns: unknown }).columns, schema)
  }
  throw new InvalidInput(
    `JSON input must be records [{"field": value, …}] or {"columns": {"field": [values…]}}, got ${describeValue(value)}`,
    { expected: 'records or {"columns": …}', got: describeValue(value) },
  )
}

function recordsToColumns(records: unknown[], schema: ModelSchema): JsonColumns {
  const n = records.length
  if (n === 0) throw noRows()
  const columns = schema.map(() => new Array<unknown>(n))
  const index = new Map(schema.map((f, c) => [f.name, c]))
  const seen = new Set<string>()
  for (let i = 0; i < n; i++) {
    const r = records[i]
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      throw new InvalidInput(`row ${i}: expected a JSON object (one record), got ${describeValue(r)}`, {
        row: i, expected: 'a JSON object', got: describeValue(r),
      })
    }
    for (const key in r) {
      const c = index.get(key)
      if (c === undefined) checkFieldNames([key], schema, () => i)
      else { columns[c]![i] = (r as Record<string, unknown>)[key]; seen.add(key) }
    }
  }
  // A key absent from some records is a null there; absent from all of them, the field is missing.
  checkFieldNames(seen, schema)
  return { columns, rows: n }
}

function columnsToColumns(cols: unknown, schema: ModelSchema): JsonColumns {
  if (typeof cols !== 'object' || cols === null || Array.isArray(cols)) {
    throw new InvalidInput(`"columns" must be an object of field → array of values, got ${describeValue(cols)}`, {
      expected: 'an object of arrays', got: describeValue(cols),
    })
  }
  const o = cols as Record<string, unknown>
  checkFieldNames(Object.keys(o), schema)
  let first: { name: string; length: number } | undefined
  const columns = schema.map((f) => {
    const v = o[f.name]
    if (v === undefined && isOptional(f)) return null
    if (!Array.isArray(v)) {
      throw new InvalidInput(`field '${f.name}': expected an array of column values, got ${describeValue(v)}`, {
        field: f.name, expected: 'an array of values', got: describeValue(v),
      })
    }
    if (first === undefined) first = { name: f.name, length: v.length }
    else if (v.length !== first.length) {
      const row = Math.min(v.length, first.length)
      throw new InvalidInput(
        `field '${f.name}' has ${v.length} values but field '${first.name}' has ${first.length}; all columns must have the same length (row ${row} is missing in one of them)`,
        { field: f.name, row, expected: `${first.length} values`, got: `${v.length} values` },
      )
    }
    return v
  })
  const rows = first?.length ?? 0
  if (rows === 0) throw noRows()
  return { columns: columns.map((c) => c ?? new Array<unknown>(rows).fill(null)), rows }
}
