/**
 * Turns buffered results into segment bytes. Results that share a schema, a pipeline version and
 * step versions become one record batch whose columns are concatenated buffers, so a flush of many
 * one-row requests costs one IPC message. The result's own columns (time, in.*, out.*, anomaly.*)
 * are kept as they are, `metadata.latency_ms` is added per row, and the pipeline and step
 * versions, constant within a segment, are kept in the segment's schema metadata and become the
 * `metadata.pipeline_version` and `metadata.steps` columns when the log is read.
 */
import * as arrow from 'apache-arrow'
import { concatData } from '../../data/arrow-concat.js'
import { makeAnyData } from '../../data/arrow-data.js'

export interface LogEntryMeta {
  pipelineVersion: string
  /** Each step's model version, e.g. `fraud:6f1c…` or `fraud#3`. */
  steps: readonly string[]
  latencyMs: number
}

export interface LogEntry {
  result: arrow.Table
  meta: LogEntryMeta
}

export interface EncodedSegment {
  bytes: Uint8Array
  minTime: number
  maxTime: number
  rows: number
}

/** Schema metadata keys of a segment. */
export const SEGMENT_META = { pipelineVersion: 'quiver.pipeline_version', steps: 'quiver.steps' } as const
const LATENCY = new arrow.Field('metadata.latency_ms', new arrow.Float64(), false)

/** One encoded segment per distinct (result schema, pipeline version, steps) among `entries`. */
export function encodeEntries(entries: readonly LogEntry[]): EncodedSegment[] {
  const groups = new Map<string, LogEntry[]>()
  let last: { entry: LogEntry; group: LogEntry[] } | undefined
  for (const e of entries) {
    if (last !== undefined && sameGroup(last.entry, e)) { last.group.push(e); continue }
    const key = [e.meta.pipelineVersion, ...e.meta.steps, ...e.result.schema.fields.map((f) => `${f.name}\u0000${typeKey(f.type)}`)].join('\u0001')
    let group = groups.get(key)
    if (group === undefined) { group = []; groups.set(key, group) }
    group.push(e)
    last = { entry: e, group }
  }
  return [...groups.values()].map(encodeGroup)
}

/** Result tables of one deployment share their field types, so each type is spelled out once. */
const typeKeys = new WeakMap<arrow.DataType, string>()
function typeKey(t: arrow.DataType): string {
  let k = typeKeys.get(t)
  if (k === undefined) { k = String(t); typeKeys.set(t, k) }
  return k
}

function sameGroup(a: LogEntry, b: LogEntry): boolean {
  if (a.meta.pipelineVersion !== b.meta.pipelineVersion || a.meta.steps.length !== b.meta.steps.length) return false
  if (a.meta.steps !== b.meta.steps && a.meta.steps.some((s, k) => s !== b.meta.steps[k])) return false
  const x = a.result.schema.fields
  const y = b.result.schema.fields
  if (x.length !== y.length) return false
  for (let k = 0; k < x.length; k++) {
    if (x[k]!.name !== y[k]!.name || (x[k]!.type !== y[k]!.type && typeKey(x[k]!.type) !== typeKey(y[k]!.type))) return false
  }
  return true
}

function encodeGroup(entries: LogEntry[]): EncodedSegment {
  const first = entries[0]!
  const fields = first.result.schema.fields.map((f, k) => new arrow.Field(f.name, f.type, entries.some((e) => e.result.schema.fields[k]!.nullable)))
  const metadata = new Map([
    [SEGMENT_META.pipelineVersion, first.meta.pipelineVersion],
    [SEGMENT_META.steps, JSON.stringify(first.meta.steps)],
  ])
  const schema = new arrow.Schema([...fields, LATENCY], metadata)
  const rows = entries.reduce((n, e) => n + e.result.numRows, 0)
  const latency = new Float64Array(rows)
  const chunks: arrow.Data[][] = fields.map(() => [])
  let minTime = Infinity
  let maxTime = -Infinity
  let row = 0
  for (const e of entries) {
    latency.fill(e.meta.latencyMs, row, row + e.result.numRows)
    row += e.result.numRows
    for (const b of e.result.batches) b.data.children.forEach((d, k) => chunks[k]!.push(d))
    // SPEC §4: every row of a result carries the one request time, so its first row suffices.
    const t = requestTime(e.result)
    if (t !== undefined) {
      if (t < minTime) minTime = t
      if (t > maxTime) maxTime = t
    }
  }
  if (minTime === Infinity) minTime = maxTime = Date.now()
  const latencyData = makeAnyData({ type: LATENCY.type, length: rows, nullCount: 0, data: latency })
  const merged = fields.map((f, k) => concatData(f.type, chunks[k]!))
  const struct = new arrow.Struct(schema.fields)
  let batches: arrow.RecordBatch[]
  if (merged.every((d) => d !== null)) {
    batches = [new arrow.RecordBatch(schema, makeAnyData({ type: struct, length: rows, nullCount: 0, children: [...merged, latencyData] }) as arrow.Data<arrow.Struct>)]
  } else {
    // A type the concatenation does not know: one batch per result, slower but exact.
    let at = 0
    batches = entries.flatMap((e) => e.result.batches.map((b) => {
      const children = [...b.data.children, latencyData.slice(at, b.numRows)]
      at += b.numRows
      return new arrow.RecordBatch(schema, makeAnyData({ type: struct, length: b.numRows, nullCount: 0, children }) as arrow.Data<arrow.Struct>)
    }))
  }
  return { bytes: arrow.tableToIPC(new arrow.Table(schema, batches), 'file'), minTime, maxTime, rows }
}

function requestTime(result: arrow.Table): number | undefined {
  if (result.numRows === 0) return undefined
  const time = result.getChild('time')
  const v = time?.data.find((d) => d.length > 0)?.values as BigInt64Array | undefined
  return v === undefined ? undefined : Number(v[0]!)
}

/** Adds the segment-level `metadata.pipeline_version` and `metadata.steps` columns to a segment read back. */
export function withSegmentColumns(table: arrow.Table): arrow.Table {
  const version = table.schema.metadata.get(SEGMENT_META.pipelineVersion)
  const stepsJson = table.schema.metadata.get(SEGMENT_META.steps)
  if (version === undefined || stepsJson === undefined) return table
  const steps = JSON.parse(stepsJson) as string[]
  const latencyAt = table.schema.fields.findIndex((f) => f.name === LATENCY.name)
  const stepsType = new arrow.List(new arrow.Field('item', new arrow.Utf8(), false))
  const added = [new arrow.Field('metadata.pipeline_version', new arrow.Utf8(), false), new arrow.Field('metadata.steps', stepsType, false)]
  const at = latencyAt < 0 ? table.schema.fields.length : latencyAt
  const fields = [...table.schema.fields.slice(0, at), ...added, ...table.schema.fields.slice(at)]
  const schema = new arrow.Schema(fields)
  const struct = new arrow.Struct(fields)
  const batches = table.batches.map((b) => {
    const n = b.numRows
    const stepCounts = Int32Array.from({ length: n + 1 }, (_, i) => i * steps.length)
    const children = [...b.data.children]
    children.splice(at, 0, repeatedUtf8([version], n), makeAnyData({ type: stepsType, length: n, nullCount: 0, valueOffsets: stepCounts, child: repeatedUtf8(steps, n) }))
    return new arrow.RecordBatch(schema, makeAnyData({ type: struct, length: n, nullCount: 0, children }) as arrow.Data<arrow.Struct>)
  })
  return new arrow.Table(schema, batches)
}

/** A Utf8 column of `values` repeated `times` times. */
function repeatedUtf8(values: readonly string[], times: number): arrow.Data {
  const encoded = values.map((v) => new TextEncoder().encode(v))
  const block = encoded.reduce((n, b) => n + b.length, 0)
  const n = values.length * times
  const offsets = new Int32Array(n + 1)
  const bytes = new Uint8Array(block * times)
  let at = 0
  for (let r = 0, i = 0; r < times; r++) {
    for (const b of encoded) { bytes.set(b, at); at += b.length; offsets[++i] = at }
  }
  return makeAnyData({ type: new arrow.Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data: bytes })
}
