/**
 * A DuckDB query's result as Arrow record batches, streamed: DuckDB produces 2,048-row chunks on
 * its own threads; each chunk's vectors are copied once into typed arrays and chunks are joined
 * into record batches of `batchRows`. Rows and decoded bytes are counted against the limits as
 * they arrive, so a small file cannot expand without bound.
 */
import * as arrow from 'apache-arrow'
import duckdb from '@duckdb/node-bindings'
import type { DuckDBConnection, DuckDBDataChunk, DuckDBResult } from '@duckdb/node-api'
import { InvalidInput, errorMessage, isQuiverError } from '../../errors.js'
import { makeAnyData } from '../arrow-data.js'
import { limitExceeded, type InputLimits } from '../input-limits.js'
import { sqlIdent, withConnection } from './database.js'
import { arrowTypeOf } from './vector-to-arrow.js'
import { columnSink } from './column-sinks.js'

export interface StreamOptions {
  /** Rows per record batch handed on, at most (a batch ends early before a chunk that would not fit); default 65,536. */
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
  // Room for whole chunks: a batch ends before a chunk that would not fit.
  const capacity = Math.max(batchRows, duckdb.vector_size())
  const sinks = names.map((_, k) => columnSink(logical[k]!, types[k]!, capacity))
  let pending = 0
  let rows = 0
  let bytes = 0
  const flush = async () => {
    if (pending === 0) return
    const length = pending
    pending = 0
    const children = sinks.map((s) => s.take(length, capacity))
    await onBatch(new arrow.RecordBatch(schema, makeAnyData({ type: structType, length, nullCount: 0, children }) as arrow.Data<arrow.Struct>))
  }
  // The next chunk is fetched (decoded on DuckDB's threads) while this one is copied.
  let next: Promise<DuckDBDataChunk | null> | undefined
  const alive: { chunk?: unknown } = {}
  try {
    await readAll()
  } catch (err) {
    await next?.catch(() => null)
    await finish(c, result)
    throw err
  }
  return { schema, rows }

  async function readAll(): Promise<void> {
    next = result.fetchChunk()
    for (;;) {
      let chunk
      try {
        chunk = await next
      } catch (err) {
        next = undefined
        throw unreadable(what, err)
      }
      next = undefined
      const n = chunk?.rowCount ?? 0
      if (!chunk || n === 0) break
      next = result.fetchChunk()
      rows += n
      if (opts.limits && rows > opts.limits.maxRows) throw limitExceeded(what, 'maxRows', opts.limits.maxRows, `more than ${rows - 1}`)
      if (pending + n > capacity) await flush()
      for (let k = 0; k < sinks.length; k++) bytes += sinks[k]!.append(duckdb.data_chunk_get_vector(chunk.chunk, k), n, pending)
      if (opts.limits && bytes > opts.limits.maxDecodedBytes) throw limitExceeded(what, 'maxDecodedBytes', opts.limits.maxDecodedBytes, `more than ${bytes - 1}`)
      pending += n
      if (pending >= batchRows) await flush()
      // The chunk owns the vectors just read: it must stay reachable until they are copied, or the
      // collector may destroy it (and its memory) in the middle of the reads above.
      alive.chunk = chunk
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
