/**
 * SPEC §4 inference input in any accepted form → one validated Arrow table whose columns are
 * exactly the schema's fields, in schema order, with exactly the schema's Arrow types. Every rule
 * is enforced here, before any model runs; a violation is an `InvalidInput` naming the field, the
 * row (0-based), what was expected and what was got.
 */
import * as arrow from 'apache-arrow'
import type { InferInput } from './infer-input.js'
import { InvalidInput, errorMessage, isQuiverError } from '../errors.js'
import { type ModelSchema, toArrowSchema } from './schema.js'
import { buildColumn } from './column-builder.js'
import { conformTable } from './arrow-conform.js'
import { checkFieldNames, jsonToColumns, noRows } from './json-input.js'
import { csvToColumns } from './csv.js'
import { readParquetColumns } from './duckdb-io.js'
import { makeAnyData } from './arrow-data.js'
import { checkArrowClaims, checkIpcHeaders } from './arrow-claims.js'

export interface ReadTableOptions {
  /**
   * False (the default) refuses every null, as native runtimes need; true lets nulls through
   * where the schema field is nullable (`custom`, `js` and `python` steps).
   */
  nullsAllowed?: boolean
}

/**
 * Parses and validates inference input against a schema.
 *
 * @example
 * const table = await readTable({ kind: 'json', value: [{ features: [5.1, 3.5, 1.4, 0.2] }] },
 *   [{ name: 'features', type: { list: 'float32', size: 4 }, nullable: false }])
 */
export async function readTable(input: InferInput, schema: ModelSchema, opts: ReadTableOptions = {}): Promise<arrow.Table> {
  const nullsAllowed = opts.nullsAllowed ?? false
  switch (input.kind) {
    case 'table':
      checkArrowClaims(input.table)
      return conformTable(input.table, schema, nullsAllowed)
    case 'arrow': {
      const table = parseIpc(input.bytes)
      checkArrowClaims(table)
      return conformTable(table, schema, nullsAllowed)
    }
    case 'json': {
      const { columns, rows } = jsonToColumns(input.value, schema)
      return columnsToTable(columns, rows, schema, nullsAllowed)
    }
    case 'csv': {
      const { columns, rows } = csvToColumns(input.text, schema)
      return columnsToTable(columns, rows, schema, nullsAllowed)
    }
    case 'parquet': {
      const parquet = await readParquetColumns(input.bytes)
      checkFieldNames(parquet.names, schema)
      if (parquet.rows === 0) throw noRows()
      const columns = schema.map((f) => parquet.columns[parquet.names.indexOf(f.name)]!)
      return columnsToTable(columns, parquet.rows, schema, nullsAllowed)
    }
  }
  throw new InvalidInput(`unknown input kind ${JSON.stringify((input as { kind?: unknown }).kind)}; expected table, json, arrow, parquet or csv`)
}

const ARROW_FILE_MAGIC = 'ARROW1'

function parseIpc(bytes: Uint8Array): arrow.Table {
  if (bytes.length === 0) throw new InvalidInput('Arrow IPC input is empty', { expected: 'Arrow IPC stream or file', got: '0 bytes' })
  // tableFromIPC reads both layouts; the magic only decides what the error calls it.
  const format = Buffer.from(bytes.subarray(0, 6)).toString('latin1') === ARROW_FILE_MAGIC ? 'file' : 'stream'
  try {
    checkIpcHeaders(bytes, format)
    return arrow.tableFromIPC(bytes)
  } catch (err) {
    if (isQuiverError(err)) throw err
    throw new InvalidInput(`input is not valid Arrow IPC ${format} data: ${errorMessage(err)}`, {
      expected: `Arrow IPC ${format}`, got: 'unreadable bytes',
    }, { cause: err })
  }
}

/** Per-field value arrays (already in schema order) → one validated record batch. */
function columnsToTable(columns: unknown[][], rows: number, schema: ModelSchema, nullsAllowed: boolean): arrow.Table {
  const arrowSchema = toArrowSchema(schema)
  const children = schema.map((f, c) => buildColumn(columns[c]!, f.type, {
    field: f.name, nullsAllowed, allowNull: nullsAllowed && f.nullable, rowOf: (i) => i,
  }))
  const data = makeAnyData({ type: new arrow.Struct(arrowSchema.fields), length: rows, nullCount: 0, children })
  return new arrow.Table(arrowSchema, [new arrow.RecordBatch(arrowSchema, data as arrow.Data<arrow.Struct>)])
}
