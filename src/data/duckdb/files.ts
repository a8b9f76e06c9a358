/**
 * Parquet, CSV, Arrow and JSON files through DuckDB, as Arrow. A file on disk is read where it is;
 * bytes (a request body) are handed over as an unnamed file in RAM (`memory-file.ts`), never a
 * file in a folder. Parquet footers are checked against the limits before any row is read.
 */
import { extname } from 'node:path'
import * as arrow from 'apache-arrow'
import type { DuckDBConnection } from '@duckdb/node-api'
import { InvalidInput, errorMessage, isQuiverError } from '../../errors.js'
import { limitExceeded, type InputLimits } from '../input-limits.js'
import { sqlIdent, sqlString, tempName, withConnection } from './database.js'
import { streamQuery } from './arrow-query.js'
import { createTableFromArrow } from './arrow-to-duckdb.js'
import { bytesWrittenTo, withBytesAsFile } from './memory-file.js'

/** Bytes one value of a fixed-width DuckDB type decodes to in Arrow (8 for the time types read as milliseconds and the types read as DOUBLE). */
const WIDTH: Readonly<Record<string, number>> = {
  BOOLEAN: 1, TINYINT: 1, UTINYINT: 1, SMALLINT: 2, USMALLINT: 2, INTEGER: 4, UINTEGER: 4, FLOAT: 4,
  BIGINT: 8, UBIGINT: 8, DOUBLE: 8, DATE: 8, TIMESTAMP: 8, TIMESTAMP_MS: 8, TIMESTAMP_NS: 8, TIMESTAMP_S: 8,
  'TIMESTAMP WITH TIME ZONE': 8, HUGEINT: 8, UHUGEINT: 8,
}
const widthOf = (t: string): number | undefined => WIDTH[t] ?? (t.startsWith('DECIMAL') ? 8 : undefined)

/**
 * Refuses a Parquet file whose footer (or summed value lengths) already says it decodes past the
 * limits; returns its row count. Fixed-width columns are counted from the row count alone, so a
 * caller may size whole columns by it.
 */
export async function checkParquetFooter(c: DuckDBConnection, path: string, limits: InputLimits): Promise<number> {
  const file = sqlString(path)
  const rowsReader = await c.runAndReadAll(`SELECT coalesce(sum(num_rows), 0)::BIGINT FROM parquet_file_metadata(${file})`)
  const rows = Number(rowsReader.getRows()[0]![0] as bigint)
  if (rows > limits.maxRows) throw limitExceeded('Parquet input (its footer)', 'maxRows', limits.maxRows, rows)
  const sizeReader = await c.runAndReadAll(`SELECT coalesce(sum(total_uncompressed_size), 0)::BIGINT FROM parquet_metadata(${file})`)
  const size = Number(sizeReader.getRows()[0]![0] as bigint)
  if (size > limits.maxDecodedBytes) throw limitExceeded('Parquet input (its footer)', 'maxDecodedBytes', limits.maxDecodedBytes, size)
  // A dictionary page holds one long string (or list) once however many rows repeat it: the footer
  // cannot see that. DuckDB sums the lengths on its own threads without materialising any value.
  const described = await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${file})`)
  let fixed = 0
  const terms = described.getRows().flatMap(([name, type]) => {
    const t = String(type)
    const w = widthOf(t)
    if (w !== undefined) {
      fixed += rows * w
      return []
    }
    if (t === 'VARCHAR') return [`coalesce(sum(strlen(${sqlIdent(String(name))})), 0)`]
    if (t === 'BLOB') return [`coalesce(sum(octet_length(${sqlIdent(String(name))})), 0)`]
    const array = /^(.+)\[(\d+)\]$/.exec(t)
    if (array) {
      fixed += rows * Number(array[2]) * (widthOf(array[1]!) ?? 8)
      return []
    }
    if (t.endsWith(']')) return [`coalesce(sum(len(${sqlIdent(String(name))})), 0) * 8`]
    return []
  })
  let values = fixed
  if (terms.length > 0) {
    const valuesReader = await c.runAndReadAll(`SELECT (${terms.join(' + ')})::HUGEINT FROM read_parquet(${file})`)
    values += Number(valuesReader.getRows()[0]?.[0] as bigint ?? 0n)
  }
  if (values > limits.maxDecodedBytes) throw limitExceeded('Parquet input (its values)', 'maxDecodedBytes', limits.maxDecodedBytes, values)
  return rows
}

const unreadableParquet = (err: unknown) => isQuiverError(err) ? err
  : new InvalidInput(`input is not a readable Parquet file: ${errorMessage(err)}`, { expected: 'Parquet', got: 'unreadable bytes' }, { cause: err })

/**
 * Reads a Parquet file into Arrow record batches handed to `onBatch` as they are decoded, the
 * footer checked first and rows and bytes counted against the limits. Returns the file's schema.
 * `batchRows: 'whole'` reads the file as one batch of whole columns, each allocated once at the
 * size the footer gives.
 */
export function streamParquetFile(
  path: string, limits: InputLimits, onBatch: (b: arrow.RecordBatch) => Promise<void> | void, opts: { batchRows?: number | 'whole' } = {},
): Promise<arrow.Schema> {
  return withConnection(async (c) => {
    try {
      const rows = await checkParquetFooter(c, path, limits)
      const batchRows = opts.batchRows === 'whole' ? Math.max(rows, 1) : opts.batchRows
      const { schema } = await streamQuery(c, `SELECT * FROM read_parquet(${sqlString(path)})`, onBatch, { limits, what: 'Parquet input', batchRows })
      return schema
    } catch (err) {
      throw unreadableParquet(err)
    }
  })
}

/** Parquet bytes (a request body) → an Arrow table of the file's own types, one batch of whole columns. */
export function readParquetBytes(bytes: Uint8Array, limits: InputLimits): Promise<arrow.Table> {
  return withBytesAsFile(bytes, '.parquet', async (path) => {
    const batches: arrow.RecordBatch[] = []
    const schema = await streamParquetFile(path, limits, (b) => { batches.push(b) }, { batchRows: 'whole' })
    return new arrow.Table(schema, batches)
  })
}

export type FileFormat = 'parquet' | 'csv' | 'arrow' | 'json'
const FORMATS: Record<string, FileFormat> = { '.parquet': 'parquet', '.csv': 'csv', '.arrow': 'arrow', '.arrows': 'arrow', '.json': 'json' }

/** The table format a file's extension names; refuses others naming the known ones. */
export function formatOfPath(path: string, field = 'output'): FileFormat {
  const f = FORMATS[extname(path).toLowerCase()]
  if (!f) throw new InvalidInput(`${field} ${path}: unknown extension; expected .parquet, .csv, .arrow or .json`, { field, got: extname(path) || 'no extension', expected: '.parquet, .csv, .arrow or .json' })
  return f
}

/**
 * COPY options for writing `format` with DuckDB. Written in place, never through a sibling
 * `<path>.tmp`: callers write to a private name themselves, and an unnamed file has no siblings.
 */
function copyOptions(format: 'parquet' | 'csv' | 'json'): string {
  if (format === 'parquet') return '(FORMAT parquet, USE_TMP_FILE false)'
  if (format === 'csv') return '(FORMAT csv, HEADER true, USE_TMP_FILE false)'
  return '(FORMAT json, ARRAY true, USE_TMP_FILE false)'
}

/** Writes the result of `sql` on `c` to `path` in a format DuckDB writes (Parquet, CSV, JSON records). */
export async function copyQueryTo(c: DuckDBConnection, sql: string, path: string, format: 'parquet' | 'csv' | 'json'): Promise<void> {
  await c.run(`COPY (${sql}) TO ${sqlString(path)} ${copyOptions(format)}`)
}

/** An Arrow table written as Parquet by DuckDB, returned as bytes. */
export function writeParquetBytes(table: arrow.Table): Promise<Uint8Array> {
  return bytesWrittenTo('.parquet', (path) => writeArrowFile(table, path, 'parquet'))
}

/** Writes an Arrow table to `path` as Parquet, CSV or JSON through a temporary DuckDB table. */
export function writeArrowFile(table: arrow.Table, path: string, format: 'parquet' | 'csv' | 'json'): Promise<void> {
  return withConnection(async (c) => {
    const name = tempName('out')
    await createTableFromArrow(c, name, table)
    try {
      await copyQueryTo(c, `SELECT * FROM ${sqlIdent(name)}`, path, format)
    } finally {
      await c.run(`DROP TABLE IF EXISTS ${sqlIdent(name)}`)
    }
  })
}
