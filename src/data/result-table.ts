/**
 * SPEC §4's result table: `time`, `in.<field>`…, `out.<field>`…, `anomaly.count`,
 * `anomaly.<name>`…. The input, output and validation columns are the callers' own Arrow data,
 * re-chunked by slicing where their batch boundaries differ, never copied.
 */
import * as arrow from 'apache-arrow'
import { RuntimeFailure } from '../errors.js'
import { isValidAt } from './arrow-data.js'
import { columnChunks, recordBatchOf, tableOf } from './arrow-fast.js'

export interface ResultTableArgs {
  /** The request time, written on every row. */
  time: Date
  input: arrow.Table
  output: arrow.Table
  /** Per validation name, whether it flagged each row (null counts as not flagged). */
  anomalies?: Record<string, arrow.Vector<arrow.Bool>>
}

export function buildResultTable(args: ResultTableArgs): arrow.Table {
  const { input, output } = args
  const rows = input.numRows
  if (output.numRows !== rows) {
    throw new RuntimeFailure(
      `the model returned ${output.numRows} rows for ${rows} input rows; every input row must yield exactly one output row`,
      { expected: rows, got: output.numRows },
    )
  }
  const anomalies = Object.entries(args.anomalies ?? {})
  for (const [name, v] of anomalies) {
    if (v.length !== rows) {
      throw new RuntimeFailure(`validation '${name}' returned ${v.length} values for ${rows} rows; it must return one per row`, {
        expected: rows, got: v.length,
      })
    }
  }
  const schema = resultSchema(input.schema, output.schema, anomalies)
  const columns: (readonly arrow.Data[])[] = []
  const ms = BigInt(args.time.getTime())
  columns.push([new arrow.Data(TIME_TYPE, 0, rows, 0, [undefined, new BigInt64Array(rows).fill(ms)])])
  for (const table of [input, output]) {
    for (let k = 0; k < table.schema.fields.length; k++) columns.push(columnChunks(table, k))
  }
  columns.push([new arrow.Data(COUNT_TYPE, 0, rows, 0, [undefined, countFlags(anomalies.map(([, v]) => v), rows)])])
  for (const [, v] of anomalies) columns.push(v.data)
  return tableOf(schema, alignedBatches(schema, columns, rows))
}

const TIME_TYPE = new arrow.TimestampMillisecond()
const COUNT_TYPE = new arrow.Uint32()
const TIME_FIELD = new arrow.Field('time', TIME_TYPE, false)
const COUNT_FIELD = new arrow.Field('anomaly.count', COUNT_TYPE, false)

/** Result schemas of anomaly-free results, per (input schema, output schema) object pair: a session's schemas are made once. */
const plainSchemas = new WeakMap<arrow.Schema, WeakMap<arrow.Schema, arrow.Schema>>()

function resultSchema(input: arrow.Schema, output: arrow.Schema, anomalies: [string, arrow.Vector<arrow.Bool>][]): arrow.Schema {
  if (anomalies.length > 0) return makeResultSchema(input, output, anomalies)
  let byOutput = plainSchemas.get(input)
  if (!byOutput) plainSchemas.set(input, (byOutput = new WeakMap()))
  let schema = byOutput.get(output)
  if (!schema) byOutput.set(output, (schema = makeResultSchema(input, output, anomalies)))
  return schema
}

function makeResultSchema(input: arrow.Schema, output: arrow.Schema, anomalies: [string, arrow.Vector<arrow.Bool>][]): arrow.Schema {
  const fields: arrow.Field[] = [TIME_FIELD]
  for (const [prefix, schema] of [['in', input], ['out', output]] as const) {
    for (const f of schema.fields) fields.push(new arrow.Field(`${prefix}.${f.name}`, f.type, f.nullable))
  }
  fields.push(COUNT_FIELD)
  for (const [name, v] of anomalies) fields.push(new arrow.Field(`anomaly.${name}`, new arrow.Bool(), v.nullCount > 0))
  return new arrow.Schema(fields)
}

function countFlags(flags: arrow.Vector<arrow.Bool>[], rows: number): Uint32Array {
  const counts = new Uint32Array(rows)
  for (const v of flags) {
    let base = 0
    for (const d of v.data) {
      const bits = d.values as Uint8Array
      for (let i = 0; i < d.length; i++) {
        const k = d.offset + i
        if ((bits[k >> 3]! & (1 << (k & 7))) !== 0 && isValidAt(d, i)) counts[base + i]!++
      }
      base += d.length
    }
  }
  return counts
}

/** Record batches cut at every chunk boundary of any column; each column contributes a slice. */
function alignedBatches(schema: arrow.Schema, columns: (readonly arrow.Data[])[], rows: number): arrow.RecordBatch[] {
  const cuts = new Set<number>([rows])
  for (const chunks of columns) {
    let end = 0
    for (const d of chunks) { end += d.length; cuts.add(end) }
  }
  const ends = [...cuts].filter((c) => c > 0).sort((a, b) => a - b)
  const cursor = columns.map(() => ({ chunk: 0, at: 0 }))
  const batches: arrow.RecordBatch[] = []
  let start = 0
  for (const end of ends) {
    const length = end - start
    const children = columns.map((chunks, k) => {
      const c = cursor[k]!
      while (chunks[c.chunk]!.length === c.at) { c.chunk++; c.at = 0 }
      const d = chunks[c.chunk]!
      const piece = c.at === 0 && length === d.length ? d : d.slice(c.at, length)
      c.at += length
      return piece
    })
    batches.push(recordBatchOf(schema, children, length))
    start = end
  }
  return batches
}
