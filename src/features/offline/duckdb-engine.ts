/**
 * The offline engine: one in-memory DuckDB per process for reading feature sources, its work
 * serialised on one connection. Small on purpose, so that it can sit on the shared DuckDB module
 * once that moves Arrow directly.
 */
import type { DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api'
import { InvalidInput, errorMessage } from '../../errors.js'
import type { FieldType, SchemaField } from '../../data/schema.js'

let connecting: Promise<DuckDBConnection> | undefined
let queue: Promise<unknown> = Promise.resolve()

async function connect(): Promise<DuckDBConnection> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' })
  return instance.connect()
}

/** Runs `job` alone on the shared connection. */
export function withDuckDb<T>(job: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  connecting ??= connect()
  const run = queue.then(async () => job(await connecting!))
  queue = run.catch(() => undefined)
  return run
}

export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`
export const sqlIdent = (s: string): string => `"${s.replaceAll('"', '""')}"`

const SCALARS: Record<string, FieldType> = {
  BOOLEAN: 'bool', TINYINT: 'int8', SMALLINT: 'int16', INTEGER: 'int32', BIGINT: 'int64',
  UTINYINT: 'uint8', USMALLINT: 'uint16', UINTEGER: 'uint32', UBIGINT: 'uint64',
  FLOAT: 'float32', DOUBLE: 'float64', VARCHAR: 'string', BLOB: 'binary',
  TIMESTAMP: 'timestamp[ms]', TIMESTAMP_MS: 'timestamp[ms]', TIMESTAMP_S: 'timestamp[ms]', TIMESTAMP_NS: 'timestamp[ms]',
  'TIMESTAMP WITH TIME ZONE': 'timestamp[ms]', DATE: 'timestamp[ms]',
}

/** A DuckDB type name (`BIGINT`, `FLOAT[4]`, `DOUBLE[]`) as a SPEC §3 type; null when it has none. */
export function fieldTypeOfDuck(name: string): FieldType | null {
  const list = /^(.*)\[(\d*)\]$/.exec(name)
  if (list) {
    const inner = fieldTypeOfDuck(list[1]!)
    return inner === null ? null : { list: inner, size: list[2] ? Number(list[2]) : null }
  }
  return SCALARS[name] ?? (name.startsWith('DECIMAL') ? 'float64' : null)
}

/** The columns a query yields, with their types. */
export function describeQuery(sql: string, what: string): Promise<SchemaField[]> {
  return withDuckDb(async (c) => {
    let reader
    try {
      reader = await c.runAndReadAll(`DESCRIBE ${sql}`)
    } catch (err) {
      throw new InvalidInput(`cannot read ${what}: ${errorMessage(err).split('\n')[0]}`, { field: 'source' }, { cause: err })
    }
    const rows = reader.getRowObjectsJS() as { column_name: string; column_type: string }[]
    return rows.map((r) => ({ name: r.column_name, type: fieldTypeOfDuck(r.column_type) ?? 'string', nullable: true }))
  })
}

/**
 * Streams a query's result chunk by chunk (at most 2048 rows each) to `onChunk`, which runs before
 * the next chunk is fetched; the connection stays held until the last one.
 */
export function streamChunks(sql: string, what: string, onChunk: (chunk: DuckDBDataChunk) => Promise<void> | void): Promise<number> {
  return withDuckDb(async (c) => {
    let result
    try {
      result = await c.stream(sql)
    } catch (err) {
      throw new InvalidInput(`cannot read ${what}: ${errorMessage(err).split('\n')[0]}`, { field: 'source' }, { cause: err })
    }
    let rows = 0
    for (;;) {
      let chunk
      try {
        chunk = await result.fetchChunk()
      } catch (err) {
        throw new InvalidInput(`cannot read ${what}: ${errorMessage(err).split('\n')[0]}`, { field: 'source' }, { cause: err })
      }
      if (!chunk || chunk.rowCount === 0) return rows
      rows += chunk.rowCount
      await onChunk(chunk)
    }
  })
}
