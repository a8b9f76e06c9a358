/**
 * Reads a pipeline's log back: the segments whose time range meets the query, the matching rows,
 * and the newest `limit` of those, oldest first. Segments written under different pipeline
 * versions may differ in columns (a validation added, a step swapped); the answer has every column
 * that any matching segment has, null where a segment lacks it or holds it with another type.
 */
import * as arrow from 'apache-arrow'
import { makeAnyData } from '../../data/arrow-data.js'
import { InvalidInput } from '../../errors.js'
import { withSegmentColumns } from './log-batch.js'
import { type Segment, readSegment } from './segment-files.js'

export interface LogQuery {
  /** Inclusive lower bound on the request time. */
  since?: Date
  /** Inclusive upper bound on the request time. */
  until?: Date
  /** The newest this many rows of the range; default `DEFAULT_LOG_LIMIT`. */
  limit?: number
}

export const DEFAULT_LOG_LIMIT = 100

export async function querySegments(segments: readonly Segment[], q: LogQuery): Promise<arrow.Table> {
  const since = q.since?.getTime() ?? -Infinity
  const until = q.until?.getTime() ?? Infinity
  const limit = q.limit ?? DEFAULT_LOG_LIMIT
  if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidInput(`limit must be a whole number 0 or above, got ${limit}`, { field: 'limit', got: String(limit) })
  if (since > until) throw new InvalidInput(`since (${q.since!.toISOString()}) is after until (${q.until!.toISOString()})`, { field: 'since' })
  const candidates = segments.filter((s) => s.minTime <= until && s.maxTime >= since).sort((a, b) => b.maxTime - a.maxTime)
  const pieces: arrow.Table[] = []
  let rows = 0
  for (const segment of candidates) {
    if (rows >= limit) break
    const table = withSegmentColumns(arrow.tableFromIPC(await readSegment(segment)))
    const matching = matchingRuns(table, since, until).map(([s, e]) => table.slice(s, e))
    for (const piece of matching.reverse()) {
      pieces.push(piece)
      rows += piece.numRows
    }
  }
  pieces.reverse()
  let extra = rows - limit
  while (extra > 0 && pieces.length > 0) {
    const p = pieces[0]!
    if (p.numRows <= extra) { pieces.shift(); extra -= p.numRows } else { pieces[0] = p.slice(extra); extra = 0 }
  }
  return unify(pieces)
}

/** [start, end) row ranges of `table` whose time lies in [since, until]. */
function matchingRuns(table: arrow.Table, since: number, until: number): [number, number][] {
  const runs: [number, number][] = []
  let row = 0
  let open = -1
  for (const d of table.getChild('time')?.data ?? []) {
    const v = d.values as BigInt64Array
    for (let i = 0; i < d.length; i++, row++) {
      const t = Number(v[i]!)
      const inside = t >= since && t <= until
      if (inside && open < 0) open = row
      if (!inside && open >= 0) { runs.push([open, row]); open = -1 }
    }
  }
  if (open >= 0) runs.push([open, row])
  return runs
}

function unify(pieces: arrow.Table[]): arrow.Table {
  const fields: arrow.Field[] = []
  const byName = new Map<string, arrow.Field>()
  for (const p of pieces) {
    for (const f of p.schema.fields) {
      const seen = byName.get(f.name)
      if (seen === undefined) { byName.set(f.name, f); fields.push(f) }
      else if (f.nullable && !seen.nullable && String(seen.type) === String(f.type)) {
        const widened = new arrow.Field(f.name, f.type, true)
        fields[fields.indexOf(seen)] = widened
        byName.set(f.name, widened)
      }
    }
  }
  if (pieces.length > 0 && pieces.every((p) => p.schema.fields.length === fields.length && p.schema.fields.every((f, k) => f.name === fields[k]!.name && String(f.type) === String(fields[k]!.type)))) {
    const schema = new arrow.Schema(fields)
    return new arrow.Table(schema, pieces.flatMap((p) => p.batches.map((b) => new arrow.RecordBatch(schema, b.data))))
  }
  const missing = fields.some((f) => pieces.some((p) => !has(p, f)))
  const schema = new arrow.Schema(missing ? fields.map((f) => new arrow.Field(f.name, f.type, true)) : fields)
  const struct = new arrow.Struct(schema.fields)
  const batches = pieces.flatMap((p) => p.batches.map((b) => {
    const children = schema.fields.map((f) => {
      const k = b.schema.fields.findIndex((g) => g.name === f.name)
      return k >= 0 && String(b.schema.fields[k]!.type) === String(f.type) ? b.data.children[k]! : nulls(f.type, b.numRows)
    })
    return new arrow.RecordBatch(schema, makeAnyData({ type: struct, length: b.numRows, nullCount: 0, children }) as arrow.Data<arrow.Struct>)
  }))
  return new arrow.Table(schema, batches)
}

function has(p: arrow.Table, f: arrow.Field): boolean {
  const g = p.schema.fields.find((x) => x.name === f.name)
  return g !== undefined && String(g.type) === String(f.type)
}

function nulls(type: arrow.DataType, n: number): arrow.Data {
  return arrow.vectorFromArray(new Array<null>(n).fill(null), type).data[0] ?? makeAnyData({ type, length: 0, nullCount: 0 })
}
