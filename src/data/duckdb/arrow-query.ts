/**
 * A DuckDB query's result as Arrow record batches, streamed: DuckDB produces 2,048-row chunks on
 * its own threads; each chunk's vectors are copied once into typed arrays and chunks are joined
 * into record batches of `batchRows`. Rows and decoded bytes are counted against the limits as
 * they arrive, so a small file cannot expand without bound.
 */
import * as arrow from 'apache-arrow'
import duckdb from '@duckdb/node-bindings'
import type { DuckDBConnection, DuckDBResult } from '@duckdb/node-api'
import { InvalidInput, errorMessage, isQuiverError } from '../../errors.js'
import { concatData } from '../arrow-concat.js'
import { makeAnyData } from '../arrow-data.js'
import { limitExceeded, type InputLimits } from '../input-limits.js'
import { sqlIdent, withConnection } from './database.js'
import { arrowTypeOf, vectorToData } from './vector-to-arrow.js'

export interface StreamOptions {
  /** Rows per record batch handed on (a multiple of 2,048 keeps chunks whole); default 65,536. */
  batchRows?: number
  /** Limits counted while decoding; none when absent. */
  limits?: InputLimits
  /** Names the input in errors ("Parquet input", "source users.parquet"). */
  what?: string
}

const DEFAULT_BATCH_ROWS = 65_536

/** A query error as the input's fault, naming what was read. */
export function unreadable(what: string, err: unknown): unknown {
  if (isQuiverError(err)) return err
  return new InvalidInput(`cannot read ${what}: ${errorMessage(err).split('\n')[0]}`, { field: what }, { cause: err })
}

/** Wraps `sql` so that every column has an Arrow reading: DECIMAL and big integers as DOUBLE, other types as text. */
async function castedQuery(c: DuckDBConnection, sql: string): Promise<string[]> {
  const described = await c.runAndReadAll(`DESCRIBE ${sql}`)
  const casts: string[] = []
  for (const [name, type] of described.getRows()) {
    const t = String(type)
    if (/^(DECIMAL|HUGEINT|UHUGEINT|BIGNUM)/.test(t)) casts.push(`${sqlIdent(String(name))}::DOUBLE AS ${sqlIdent(String(name))}`)
    else casts.push(`${sqlIdent(String(name))}::VARCHAR AS ${sqlIdent(String(name))}`)
  }
  return casts
}

/**
 * Runs `sql` on `c` and hands each record batch to `onBatch` before the next is decoded; returns
 * the row count. The connection is busy until the last batch.
 */
export async function streamQuery(
  c: DuckDBConnection, sql: string, onBatch: (batch: arrow.RecordBatch) => Promise<void> | void, opts: StreamOptions = {},
): Promise<{ schema: arrow.Schema; rows: number }> {
  const what = opts.what ?? 'the query'
  const batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS
  let result: DuckDBResult
  let logical: duckdb.LogicalType[]
  let types: (arrow.DataType | null)[]
  try {
    // Types first, from the prepared statement: a column with no Arrow reading is cast before any result is open.
    const prepared = await c.prepare(sql)
    const columnTypes = Array.from({ length: prepared.columnCount }, (_, k) => prepared.columnType(k))
    let chosen = sql
    if (columnTypes.some((t) => arrowTypeOf(t.toLogicalType().logical_type as duckdb.LogicalType) === null)) {
      const casts = await castedQuery(c, sql)
      const readable = columnTypes.map((t, k) => (arrowTypeOf(t.toLogicalType().logical_type as duckdb.LogicalType) ? sqlIdent(prepared.columnName(k)) : casts[k]!))
      chosen = `SELECT ${readable.join(', ')} FROM (${sql})`
    }
    result = await c.stream(chosen)
    logical = result.columnTypes().map((t) => t.toLogicalType().logical_type as duckdb.LogicalType)
    types = logical.map(arrowTypeOf)
  } catch (err) {
    throw unreadable(what, err)
  }
  const names = result.columnNames()
  const schema = new arrow.Schema(names.map((n, k) => new arrow.Field(n, types[k]!, true)))
  const structType = new arrow.Struct(schema.fields)
  let parts: arrow.Data[][] = names.map(() => [])
  let pending = 0
  let rows = 0
  let bytes = 0
  const flush = async () => {
    if (pending === 0) return
    const children = parts.map((p, k) => (p.length === 1 ? p[0]! : concatData(types[k]!, p)!))
    const length = pending
    parts = names.map(() => [])
    pending = 0
    const batch = new arrow.RecordBatch(schema, makeAnyData({ type: structType, length, nullCount: 0, children }) as arrow.Data<arrow.Struct>)
    if (opts.limits) {
      bytes += batch.data.byteLength
      if (bytes > opts.limits.maxDecodedBytes) throw limitExceeded(what, 'maxDecodedBytes', opts.limits.maxDecodedBytes, `more than ${bytes - 1}`)
    }
    await onBatch(batch)
  }
  const alive: { chunk?: unknown } = {}
  try {
    await readAll()
  } catch (err) {
    await finish(c, result)
    throw err
  }
  return { schema, rows }

  async function readAll(): Promise<void> {
  for (;;) {
    let chunk
    try {
      chunk = await result.fetchChunk()
    } catch (err) {
      throw unreadable(what, err)
    }
    const n = chunk?.rowCount ?? 0
    if (!chunk || n === 0) break
    rows += n
    if (opts.limits && rows > opts.limits.maxRows) throw limitExceeded(what, 'maxRows', opts.limits.maxRows, `more than ${rows - 1}`)
    for (let k = 0; k < names.length; k++) {
      parts[k]!.push(vectorToData(duckdb.data_chunk_get_vector(chunk.chunk, k), logical[k]!, types[k]!, n))
    }
    // The chunk owns the vectors just read: it must stay reachable until they are copied, or the
    // collector may destroy it (and its memory) in the middle of the reads above.
    alive.chunk = chunk
    pending += n
    if (pending >= batchRows) await flush()
  }
  await flush()
  }
}

/**
 * Ends a result left part-read (a limit passed, the consumer failed): the query is interrupted and
 * its remaining chunks drained, so no result outlives its use of the connection.
 */
async function finish(c: DuckDBConnection, result: DuckDBResult): Promise<void> {
  try {
    c.interrupt()
    for (let i = 0; i < 1_000_000; i++) {
      const chunk = await result.fetchChunk()
      if (!chunk || chunk.rowCount === 0) return
    }
  } catch {
    // Interrupted: the result is done.
  }
}

/** The whole result of `sql` as one Arrow table (its batches as streamed). */
export function queryTable(sql: string, opts: StreamOptions = {}): Promise<arrow.Table> {
  return withConnection(async (c) => {
    const batches: arrow.RecordBatch[] = []
    const { schema } = await streamQuery(c, sql, (b) => { batches.push(b) }, opts)
    return new arrow.Table(schema, batches)
  })
}
