/**
 * `features materialize`: the latest row of each entity in the offline source (within the
 * window, and not already past the ttl) written to the online store. DuckDB picks the rows and
 * casts them to the declared types; chunks stream into the store as they come, a few writes in
 * flight at a time.
 */
import { InvalidInput } from '../errors.js'
import { isListType, type FieldType } from '../data/schema.js'
import type { FeatureSetRecord } from './feature-set-record.js'
import { conformData } from '../data/arrow-conform.js'
import { streamQuery } from '../data/duckdb/arrow-query.js'
import { describeQuery, sqlIdent, withConnection } from './offline/duckdb-engine.js'
import { sourceRelation } from './offline/source-relation.js'
import { onlineLayout, writeOnline } from './online/online-table.js'
import type { OnlineStore } from './online/online-store.js'
import type { MaterializeResult } from './online-types.js'

export interface MaterializeOptions {
  /** Only source rows with event time at or after this (ms since the epoch). */
  start?: number
  /** Only source rows with event time at or before this. */
  end?: number
  /** "Now" for the ttl (default the clock). */
  now?: number
}

export type { MaterializeResult } from './online-types.js'

const DUCK: Record<string, string> = {
  bool: 'BOOLEAN', int8: 'TINYINT', int16: 'SMALLINT', int32: 'INTEGER', int64: 'BIGINT',
  uint8: 'UTINYINT', uint16: 'USMALLINT', uint32: 'UINTEGER', uint64: 'UBIGINT',
  float16: 'FLOAT', float32: 'FLOAT', float64: 'DOUBLE', string: 'VARCHAR', binary: 'BLOB', 'timestamp[ms]': 'TIMESTAMP_MS',
}

function duckType(t: FieldType): string | null {
  if (typeof t === 'string') return DUCK[t] ?? null
  if (isListType(t)) {
    const inner = duckType(t.list)
    return inner === null ? null : `${inner}[${t.size ?? ''}]`
  }
  return null
}

/** A time given as ISO-8601 or epoch milliseconds → ms; refuses anything else naming the option. */
export function parseTime(text: string, option: string): number {
  const ms = /^-?\d+$/.test(text) ? Number(text) : Date.parse(text)
  if (!Number.isFinite(ms)) throw new InvalidInput(`${option} must be an ISO-8601 time or epoch milliseconds, got ${JSON.stringify(text)}`, { field: option, got: text })
  return ms
}

/** Writes the latest value of every entity of `record`'s source into `store`. */
export async function materialize(record: FeatureSetRecord, store: OnlineStore, opts: MaterializeOptions = {}): Promise<MaterializeResult> {
  const started = performance.now()
  const def = record.definition
  const layout = onlineLayout(record)
  const relation = await sourceRelation(def)
  const what = 'path' in def.source ? def.source.path : 'the SQL source'
  const columns = await describeQuery(`SELECT * FROM ${relation}`, what)
  const timeCol = columns.find((c) => c.name === def.event_time)
  if (!timeCol) throw new InvalidInput(`feature set ${def.name}: event_time column '${def.event_time}' is not a column of ${what}`, { field: `${def.name}.${def.event_time}` })
  const ts = sqlIdent(def.event_time)
  const eventMs = timeCol.type === 'timestamp[ms]' ? `epoch_ms(${ts}::TIMESTAMP)` : `CAST(${ts} AS BIGINT)`
  const cast = (name: string, t: FieldType) => {
    const d = duckType(t)
    return d === null ? sqlIdent(name) : `CAST(${sqlIdent(name)} AS ${d}) AS ${sqlIdent(name)}`
  }
  const where = layout.keys.map((k) => `${sqlIdent(k.name)} IS NOT NULL`)
  where.push(`${ts} IS NOT NULL`)
  if (opts.start !== undefined) where.push(`${eventMs} >= ${Math.trunc(opts.start)}`)
  if (opts.end !== undefined) where.push(`${eventMs} <= ${Math.trunc(opts.end)}`)
  if (layout.ttlMs !== null) where.push(`${eventMs} > ${Math.trunc((opts.now ?? Date.now()) - layout.ttlMs)}`)
  const sql = `SELECT ${[...layout.keys.map((k) => cast(k.name, k.type)), `${eventMs} AS "__event_ms"`, ...layout.fields.map((f) => cast(f.name, f.type))].join(', ')}
    FROM ${relation} WHERE ${where.join(' AND ')}
    QUALIFY row_number() OVER (PARTITION BY ${layout.keys.map((k) => sqlIdent(k.name)).join(', ')} ORDER BY ${ts} DESC) = 1`
  const fields = [...layout.keys, { name: '__event_ms', type: 'int64' as const, nullable: false }, ...layout.fields]
  const nk = layout.keys.length
  const inFlight: Promise<void>[] = []
  let entities = 0
  await withConnection((c) => streamQuery(c, sql, async (batch) => {
    const data = fields.map((f, k) => conformData(batch.data.children[k]!, f.type, { field: f.name, rowOf: (i) => i, nullsAllowed: true, allowNull: true }))
    const ms = data[nk]!.values as BigInt64Array
    const write = writeOnline(store, layout, data.slice(0, nk), ms, data.slice(nk + 1))
    write.catch(() => {}) // awaited below; this only keeps an early failure from going unhandled meanwhile
    inFlight.push(write)
    entities += batch.numRows
    if (inFlight.length >= 4) await inFlight.shift()
  }, { batchRows: 16_384, what }))
  await Promise.all(inFlight)
  await store.flush()
  return { set: def.name, version: record.version, entities, seconds: (performance.now() - started) / 1000, store: store.kind }
}
