/**
 * Table files read as Arrow record batches, streamed: Parquet, CSV and JSON through DuckDB where
 * they lie (no copy), Arrow IPC through apache-arrow's reader.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import * as arrow from 'apache-arrow'
import { InvalidInput } from '../../errors.js'
import type { InputLimits } from '../input-limits.js'
import { sqlIdent, sqlString, withOwnConnection } from './database.js'
import { streamQuery } from './arrow-query.js'
import { formatOfPath } from './files.js'

/** Refuses a path that is not an existing file, naming `field`. */
export async function requireFile(path: string, field: string): Promise<void> {
  const info = await stat(path).catch(() => null)
  if (!info) throw new InvalidInput(`${field} ${path} does not exist`, { field, got: path, expected: 'an existing file' })
  if (info.isDirectory()) throw new InvalidInput(`${field} ${path} is a folder; expected a file`, { field, got: path, expected: 'a file' })
}

/** The DuckDB relation reading a Parquet, CSV or JSON file in place. */
export function fileRelation(path: string, field: string): string {
  const format = formatOfPath(path, field)
  const p = sqlString(path)
  if (format === 'parquet') return `read_parquet(${p})`
  if (format === 'csv') return `read_csv(${p}, header = true)`
  if (format === 'json') return `read_json(${p})`
  throw new InvalidInput(`${field} ${path}: Arrow files are read through apache-arrow, not as a DuckDB relation`, { field, got: path })
}

/** Streams a table file's record batches to `onBatch` (only `columns` when given, for the files DuckDB reads); returns the schema read. */
export async function streamFile(
  path: string, field: string, onBatch: (b: arrow.RecordBatch) => Promise<void> | void, limits?: InputLimits, columns?: readonly string[],
): Promise<arrow.Schema> {
  await requireFile(path, field)
  if (formatOfPath(path, field) === 'arrow') {
    const reader = await arrow.RecordBatchReader.from(createReadStream(path))
    await reader.open()
    for await (const batch of reader) await onBatch(batch)
    return reader.schema
  }
  return withOwnConnection(async (c) => {
    const select = columns ? columns.map(sqlIdent).join(', ') : '*'
    const { schema } = await streamQuery(c, `SELECT ${select} FROM ${fileRelation(path, field)}`, onBatch, { limits, what: `${field} ${path}` })
    return schema
  })
}
