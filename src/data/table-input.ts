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
import { readParquetBytes } from './duckdb/files.js'
import { DUCKDB_CSV_MIN_CHARS, readCsvWithDuckDb } from './duckdb/csv-read.js'
import { IDENTITY_ROWS } from './input-error.js'
import { inputLimits, limitExceeded, type InputLimits } from './input-limits.js'
import { recordBatchOf, tableOf } from './arrow-fast.js'
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
      return columnsToTable(columns, rows, schema, nullsAllowed, 'JSON input')
    }
    case 'csv': {
      if (input.text.length >= DUCKDB_CSV_MIN_CHARS) {
        const table = await readCsvWithDuckDb(input.text, schema, nullsAllowed, inputLimits())
        if (table) return table
      }
      const { columns, rows } = csvToColumns(input.text, schema)
      return columnsToTable(columns, rows, schema, nullsAllowed, 'CSV input')
    }
    case 'parquet': {
      const table = await readParquetBytes(input.bytes, inputLimits())
      return conformTable(table, schema, nullsAllowed)
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

/** Rows per record batch built from JSON, CSV or Parquet values; the event loop runs between batches. */
const BATCH_ROWS = 16_384

/** Per-field value arrays (already in schema order) → a validated table. */
async function columnsToTable(columns: unknown[][], rows: number, schema: ModelSchema, nullsAllowed: boolean, what: string): Promise<arrow.Table> {
  const builder = new TableBuilder(schema, nullsAllowed, what)
  if (rows > builder.limits.maxRows) throw limitExceeded(what, 'maxRows', builder.limits.maxRows, rows)
  await builder.add(columns, rows)
  return builder.table()
}

/**
 * Validated record batches of at most BATCH_ROWS rows, built as values arrive, counting rows and
 * decoded bytes against the limits. Between batches it yields to the event loop, so that a large
 * input being decoded does not keep health checks and other requests waiting.
 */
class TableBuilder {
  readonly limits: InputLimits = inputLimits()
  readonly #schema: ModelSchema
  readonly #arrowSchema: arrow.Schema
  readonly #nullsAllowed: boolean
  readonly #what: string
  readonly #batches: arrow.RecordBatch[] = []
  #rows = 0
  #bytes = 0

  constructor(schema: ModelSchema, nullsAllowed: boolean, what: string) {
    this.#schema = schema
    this.#arrowSchema = toArrowSchema(schema)
    this.#nullsAllowed = nullsAllowed
    this.#what = what
  }

  async add(columns: unknown[][], rows: number): Promise<void> {
    const { maxRows, maxDecodedBytes } = this.limits
    for (let start = 0; start < rows; start += BATCH_ROWS) {
      const n = Math.min(BATCH_ROWS, rows - start)
      if (this.#rows + n > maxRows) throw limitExceeded(this.#what, 'maxRows', maxRows, `more than ${this.#rows + n - 1}`)
      if (this.#batches.length > 0) await new Promise<void>((resolve) => setImmediate(resolve))
      const part = n === rows ? columns : columns.map((c) => c.slice(start, start + n))
      const batch = this.#batch(part, n, this.#rows)
      this.#bytes += batch.data.byteLength
      if (this.#bytes > maxDecodedBytes) throw limitExceeded(this.#what, 'maxDecodedBytes', maxDecodedBytes, `more than ${this.#bytes - 1}`)
      this.#rows += n
      this.#batches.push(batch)
    }
  }

  table(): arrow.Table {
    if (this.#rows === 0) throw noRows()
    return tableOf(this.#arrowSchema, this.#batches)
  }

  #batch(columns: unknown[][], rows: number, first: number): arrow.RecordBatch {
    const nullsAllowed = this.#nullsAllowed
    const children = this.#schema.map((f, c) => buildColumn(columns[c]!, f.type, {
      field: f.name, nullsAllowed, allowNull: nullsAllowed && f.nullable, rowOf: first === 0 ? IDENTITY_ROWS : (i) => first + i,
    }))
    return recordBatchOf(this.#arrowSchema, children, rows)
  }
}
