/**
 * Parquet through DuckDB: one in-memory instance per process, created on first use, with its
 * work serialised on one connection. Bytes go through a private temporary folder that is removed
 * afterwards, whatever happens.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as arrow from 'apache-arrow'
import type { DuckDBConnection } from '@duckdb/node-api'
import { InvalidInput, errorMessage, isQuiverError } from '../errors.js'
import { inputLimits, limitExceeded, type InputLimits } from './input-limits.js'
import { type FieldType, fromArrowType, isListType } from './schema.js'
import { columnValues } from './column-values.js'

let connecting: Promise<DuckDBConnection> | undefined
let queue: Promise<unknown> = Promise.resolve()
let tableSeq = 0

/** DuckDB's vector size: the most rows one appended chunk may hold. */
const CHUNK_ROWS = 2048

async function connect(): Promise<DuckDBConnection> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:')
  return instance.connect()
}

function serial<T>(job: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  connecting ??= connect()
  const run = queue.then(async () => job(await connecting!))
  queue = run.catch(() => undefined)
  return run
}

async function inTempDir<T>(job: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'quiver-data-'))
  try {
    return await job(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`
const sqlIdent = (s: string): string => `"${s.replaceAll('"', '""')}"`

const DUCK_SCALARS: Record<string, string> = {
  bool: 'BOOLEAN', int8: 'TINYINT', int16: 'SMALLINT', int32: 'INTEGER', int64: 'BIGINT',
  uint8: 'UTINYINT', uint16: 'USMALLINT', uint32: 'UINTEGER', uint64: 'UBIGINT',
  // DuckDB has no half float; float16 is stored as FLOAT and narrowed again when read.
  float16: 'FLOAT', float32: 'FLOAT', float64: 'DOUBLE',
  string: 'VARCHAR', binary: 'BLOB', 'timestamp[ms]': 'TIMESTAMP_MS',
}

function duckType(t: FieldType): string {
  if (typeof t === 'string') return DUCK_SCALARS[t]!
  if (isListType(t)) return `${duckType(t.list)}[${t.size ?? ''}]`
  return `STRUCT(${t.struct.map((f) => `${sqlIdent(f.name)} ${duckType(f.type)}`).join(', ')})`
}

/** Rows handed to a Parquet reader's sink at a time (a whole number of DuckDB chunks). */
const GROUP_ROWS = 8 * CHUNK_ROWS

export interface ParquetSink {
  /** The file's column names, before any rows. */
  columns(names: string[]): void
  /** One group of rows: per column, JS values as DuckDB gives them (bigint, Date, Uint8Array, arrays, objects). */
  rows(columns: unknown[][], rows: number): Promise<void>
}

/**
 * Reads Parquet bytes into `sink` a group of rows at a time. The footer's row count and
 * uncompressed size are checked against the limits before any row is read (a few kilobytes of
 * Parquet can hold ten million rows), and rows are counted again as they arrive. DuckDB decodes on
 * its own threads; only each group's conversion to JS values runs on the event loop.
 */
export function readParquet(bytes: Uint8Array, sink: ParquetSink, limits: InputLimits = inputLimits()): Promise<number> {
  return inTempDir(async (dir) => {
    const path = join(dir, 'input.parquet')
    await writeFile(path, bytes)
    return serial(async (c) => {
      const { JSDuckDBValueConverter } = await import('@duckdb/node-api')
      const unreadable = (err: unknown) =>
        new InvalidInput(`input is not a readable Parquet file: ${errorMessage(err)}`, { expected: 'Parquet', got: 'unreadable bytes' }, { cause: err })
      let result
      try {
        await checkFooter(c, path, limits)
        result = await c.stream(`SELECT * FROM read_parquet(${sqlString(path)})`)
      } catch (err) {
        throw isQuiverError(err) ? err : unreadable(err)
      }
      sink.columns(result.columnNames())
      let total = 0
      let group: unknown[][][] = []
      let groupRows = 0
      const flush = async () => {
        if (groupRows === 0) return
        const columns = group[0]!.map((_, k) => (group.length === 1 ? group[0]![k]! : group.flatMap((g) => g[k]!)))
        const rows = groupRows
        group = []
        groupRows = 0
        await sink.rows(columns, rows)
      }
      for (;;) {
        let chunk
        try {
          chunk = await result.fetchChunk()
        } catch (err) {
          throw unreadable(err)
        }
        if (!chunk || chunk.rowCount === 0) break
        total += chunk.rowCount
        if (total > limits.maxRows) throw limitExceeded('Parquet input', 'maxRows', limits.maxRows, `more than ${total - 1}`)
        group.push(chunk.convertColumns(JSDuckDBValueConverter) as unknown[][])
        groupRows += chunk.rowCount
        if (groupRows >= GROUP_ROWS) await flush()
      }
      await flush()
      return total
    })
  })
}

/** Bytes of one element of a fixed-size DuckDB array, by element type (8 for anything else). */
const WIDTH: Readonly<Record<string, number>> = {
  BOOLEAN: 1, TINYINT: 1, UTINYINT: 1, SMALLINT: 2, USMALLINT: 2, INTEGER: 4, UINTEGER: 4, FLOAT: 4,
}

/** Refuses a file whose footer already says it decodes past the limits. */
async function checkFooter(c: DuckDBConnection, path: string, limits: InputLimits): Promise<void> {
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
  const terms = described.getRows().flatMap(([name, type]) => {
    const t = String(type)
    if (t === 'VARCHAR') return [`coalesce(sum(strlen(${sqlIdent(String(name))})), 0)`]
    if (t === 'BLOB') return [`coalesce(sum(octet_length(${sqlIdent(String(name))})), 0)`]
    const fixed = /^(\w+)\[(\d+)\]$/.exec(t)
    if (fixed) return [`${rows} * ${fixed[2]} * ${WIDTH[fixed[1]!] ?? 8}`]
    if (t.endsWith(']')) return [`coalesce(sum(len(${sqlIdent(String(name))})), 0) * 8`]
    return []
  })
  if (terms.length === 0) return
  const valuesReader = await c.runAndReadAll(`SELECT (${terms.join(' + ')})::HUGEINT FROM read_parquet(${file}) LIMIT 1`)
  const values = Number(valuesReader.getRows()[0]?.[0] as bigint ?? 0n)
  if (values > limits.maxDecodedBytes) throw limitExceeded('Parquet input (its values)', 'maxDecodedBytes', limits.maxDecodedBytes, values)
}

/** Writes an Arrow table as Parquet bytes (lists, fixed-size lists and structs included). */
export function writeParquet(table: arrow.Table): Promise<Uint8Array> {
  const fields = table.schema.fields
  const types = fields.map((f) => fromArrowType(arrow.DataType.isDictionary(f.type) ? f.type.dictionary : f.type))
  const columns = fields.map((_, k) => columnValues(table.getChildAt(k)!, 'js'))
  return inTempDir(async (dir) => {
    const path = join(dir, 'output.parquet')
    const name = `quiver_out_${++tableSeq}`
    await serial(async (c) => {
      const cols = fields.map((f, k) => `${sqlIdent(f.name)} ${duckType(types[k]!)}`).join(', ')
      await c.run(`CREATE TEMP TABLE ${name} (${cols})`)
      try {
        await appendColumns(c, name, columns, table.numRows)
        await c.run(`COPY ${name} TO ${sqlString(path)} (FORMAT parquet)`)
      } finally {
        await c.run(`DROP TABLE IF EXISTS ${name}`)
      }
    })
    const bytes = await readFile(path)
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  })
}

async function appendColumns(c: DuckDBConnection, table: string, columns: unknown[][], rows: number): Promise<void> {
  const { DuckDBDataChunk, JSToDuckDBValueConverter } = await import('@duckdb/node-api')
  const appender = await c.createAppender(table)
  try {
    const types = Array.from({ length: appender.columnCount }, (_, k) => appender.columnType(k))
    for (let start = 0; start < rows; start += CHUNK_ROWS) {
      const end = Math.min(rows, start + CHUNK_ROWS)
      const chunk = DuckDBDataChunk.create(types, end - start)
      chunk.setColumnsConverted(columns.map((col) => col.slice(start, end)) as never, JSToDuckDBValueConverter)
      appender.appendDataChunk(chunk)
    }
    appender.flushSync()
  } finally {
    appender.closeSync()
  }
}
