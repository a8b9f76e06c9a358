/**
 * A table → bytes in one of the output formats of `quiver infer --output-format` (SPEC §5), and
 * the two JSON spellings of SPEC §4 as plain values.
 */
import * as arrow from 'apache-arrow'
import { InvalidInput } from '../errors.js'
import { columnChunks } from './arrow-fast.js'
import { chunkValues } from './column-values.js'
import { tableToCsv } from './csv-writer.js'
import { writeParquetBytes } from './duckdb/files.js'

export const OUTPUT_FORMATS = ['records', 'columns', 'arrow', 'parquet', 'csv'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

function jsonColumns(table: arrow.Table): unknown[][] {
  return table.schema.fields.map((_, k) => chunkValues(columnChunks(table, k), 'json'))
}

/**
 * `{"columns": {field: [values…]}}` as JSON-safe values: int64/uint64 as numbers when they are
 * safe integers and decimal strings otherwise, timestamps as ISO-8601, binary as base64, lists as
 * arrays, NaN/±Infinity as the strings "NaN"/"Infinity"/"-Infinity".
 */
export function tableToColumnsJson(table: arrow.Table): { columns: Record<string, unknown[]> } {
  const cols = jsonColumns(table)
  const columns: Record<string, unknown[]> = {}
  table.schema.fields.forEach((f, k) => { columns[f.name] = cols[k]! })
  return { columns }
}

/** `[{field: value, …}, …]` with the same value spelling as `tableToColumnsJson`. */
export function tableToRecordsJson(table: arrow.Table): Record<string, unknown>[] {
  const names = table.schema.fields.map((f) => f.name)
  const cols = jsonColumns(table)
  const out = new Array<Record<string, unknown>>(table.numRows)
  for (let i = 0; i < table.numRows; i++) {
    const r: Record<string, unknown> = {}
    for (let k = 0; k < names.length; k++) r[names[k]!] = cols[k]![i]
    out[i] = r
  }
  return out
}

/** Serialises a table: JSON records or columns, Arrow IPC stream, Parquet, or CSV (lists as JSON text). */
export async function writeTable(table: arrow.Table, format: OutputFormat): Promise<Uint8Array> {
  const text = await writeTableOrText(table, format)
  return typeof text === 'string' ? Buffer.from(text, 'utf8') : text
}

/** `writeTable`, with the text formats (JSON, CSV) left as a string for callers that write text. */
export async function writeTableOrText(table: arrow.Table, format: OutputFormat): Promise<string | Uint8Array> {
  switch (format) {
    case 'records': return JSON.stringify(tableToRecordsJson(table))
    case 'columns': return JSON.stringify(tableToColumnsJson(table))
    case 'arrow': return arrow.tableToIPC(table, 'stream')
    case 'parquet': return writeParquetBytes(table)
    case 'csv': return tableToCsv(table)
  }
  throw new InvalidInput(`unknown output format ${JSON.stringify(format)}; expected one of ${OUTPUT_FORMATS.join(', ')}`)
}
