/**
 * The process's one DuckDB: an in-memory instance created on first use, and a pool of connections
 * sized to the cores. DuckDB runs each query on its own threads; a connection is held by one job at
 * a time, so concurrent jobs run side by side up to the pool size and queue beyond it.
 */
import { availableParallelism } from 'node:os'
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'

let instance: Promise<DuckDBInstance> | undefined
const idle: DuckDBConnection[] = []
const waiting: ((c: DuckDBConnection) => void)[] = []
let opened = 0

/** Connections the pool opens at most: one per core (at least two, so a long read never blocks a short one). */
export const POOL_SIZE = Math.max(2, availableParallelism())

function database(): Promise<DuckDBInstance> {
  instance ??= (async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api')
    return DuckDBInstance.create(':memory:', { threads: String(availableParallelism()) })
  })()
  return instance
}

async function acquire(): Promise<DuckDBConnection> {
  const free = idle.pop()
  if (free) return free
  if (opened < POOL_SIZE) {
    opened++
    try {
      return await (await database()).connect()
    } catch (err) {
      opened--
      throw err
    }
  }
  return new Promise((resolve) => waiting.push(resolve))
}

function release(c: DuckDBConnection): void {
  const next = waiting.shift()
  if (next) next(c)
  else idle.push(c)
}

/** Runs `job` with a connection of its own; the connection goes back to the pool afterwards, whatever happens. */
export async function withConnection<T>(job: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const c = await acquire()
  let result: T
  try {
    result = await job(c)
  } catch (err) {
    // A job that failed may leave a result streaming on its connection: the connection is not reused.
    await replace(c)
    throw err
  }
  release(c)
  return result
}

async function replace(c: DuckDBConnection): Promise<void> {
  try {
    c.closeSync()
  } catch { /* closed already */ }
  opened--
  const next = waiting.shift()
  if (next) {
    opened++
    try {
      next(await (await database()).connect())
    } catch {
      opened--
    }
  }
}

/** A SQL string literal. */
export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`
/** A SQL identifier, quoted. */
export const sqlIdent = (s: string): string => `"${s.replaceAll('"', '""')}"`

let seq = 0
/** A name for a temporary table no other job uses. */
export function tempName(prefix: string): string {
  return `quiver_${prefix}_${process.pid}_${++seq}`
}

/**
 * Runs `job` on a connection opened for it alone and closed afterwards: for a long stream that
 * itself needs pooled connections on the way (reading an input while writing parts), which would
 * otherwise wait on itself.
 */
export async function withOwnConnection<T>(job: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const c = await (await database()).connect()
  try {
    return await job(c)
  } finally {
    c.closeSync()
  }
}
