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
import { InvalidInput, errorMessage } from '../errors.js'
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

export interface ParquetColumns {
  names: string[]
  /** Per column, JS values as DuckDB gives them (bigint, Date, Uint8Array, arrays, objects). */
  columns: unknown[][]
  rows: number
}

/** Reads Parquet bytes into per-column JS values. */
export function readParquetColumns(bytes: Uint8Array): Promise<ParquetColumns> {
  return inTempDir(async (dir) => {
    const path = join(dir, 'input.parquet')
    await writeFile(path, bytes)
    return serial(async (c) => {
      let reader
      try {
        reader = await c.runAndReadAll(`SELECT * FROM read_parquet(${sqlString(path)})`)
      } catch (err) {
        throw new InvalidInput(`input is not a readable Parquet file: ${errorMessage(err)}`, { expected: 'Parquet', got: 'unreadable bytes' }, { cause: err })
      }
      return { names: reader.columnNames(), columns: reader.getColumnsJS() as unknown[][], rows: reader.currentRowCount }
    })
  })
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
