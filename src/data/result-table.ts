/**
 * SPEC §4's result table: `time`, `in.<field>`…, `out.<field>`…, `anomaly.count`,
 * `anomaly.<name>`…. The input, output and validation columns are the callers' own Arrow data,
 * re-chunked by slicing where their batch boundaries differ, never copied.
 */
import * as arrow from 'apache-arrow'
import { RuntimeFailure } from '../errors.js'
import { isValidAt, makeAnyData } from './arrow-data.js'

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
  const fields: arrow.Field[] = [new arrow.Field('time', new arrow.TimestampMillisecond(), false)]
  const columns: (readonly arrow.Data[])[] = []
  const ms = BigInt(args.time.getTime())
  columns.push([makeAnyData({ type: fields[0]!.type, length: rows, nullCount: 0, data: new BigInt64Array(rows).fill(ms) })])
  for (const [prefix, table] of [['in', input], ['out', output]] as const) {
    table.schema.fields.forEach((f, k) => {
      fields.push(new arrow.Field(`${prefix}.${f.name}`, f.type, f.nullable))
      columns.push(table.getChildAt(k)!.data)
    })
  }
  fields.push(new arrow.Field('anomaly.count', new arrow.Uint32(), false))
  columns.push([makeAnyData({ type: new arrow.Uint32(), length: rows, nullCount: 0, data: countFlags(anomalies.map(([, v]) => v), rows) })])
  for (const [name, v] of anomalies) {
    fields.push(new arrow.Field(`anomaly.${name}`, new arrow.Bool(), v.nullCount > 0))
    columns.push(v.data)
  }
  const schema = new arrow.Schema(fields)
  return new arrow.Table(schema, alignedBatches(schema, columns, rows))
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
  const type = new arrow.Struct(schema.fields)
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
    batches.push(new arrow.RecordBatch(schema, makeAnyData({ type, length, nullCount: 0, children }) as arrow.Data<arrow.Struct>))
    start = end
  }
  return batches
}
