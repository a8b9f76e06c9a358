/**
 * An Arrow table → CSV text (the rules of `csv.ts`: header row, nulls as empty cells, quoting where
 * needed, list and struct cells as JSON), column by column: numbers, bools and strings are
 * formatted straight from their typed arrays, with no array of JS values in between; other types
 * go through their JSON values. Byte for byte what `writeCsv` writes for the same table.
 */
import * as arrow from 'apache-arrow'
import { csvCell } from './csv.js'
import { dataValues } from './column-values.js'

const { DataType } = arrow

type Cell = (i: number) => string

/** The text of row `i` of one column chunk as a CSV cell; nulls are handled by the caller. */
function cellsOf(data: arrow.Data): Cell {
  const t = data.type
  if (DataType.isFloat(t)) {
    const v = data.values as Float64Array | Float32Array | Uint16Array
    // String(x) spells NaN and ±Infinity as the JSON values do ("NaN", "Infinity"), which need no quotes.
    if (t.precision === arrow.Precision.HALF) return (i) => String(arrow.util.uint16ToFloat64(v[i]!))
    return (i) => String(v[i]!)
  }
  // int64/uint64 in decimal, as JSON has them whether safe integers or not.
  if (DataType.isInt(t)) {
    const v = data.values as ArrayLike<number | bigint>
    return (i) => String(v[i]!)
  }
  if (DataType.isBool(t)) {
    const bits = data.values as Uint8Array
    const at = data.offset
    return (i) => ((bits[(at + i) >> 3]! & (1 << ((at + i) & 7))) !== 0 ? 'true' : 'false')
  }
  if (DataType.isUtf8(t)) {
    const offsets = data.valueOffsets as Int32Array
    const bytes = data.values as Uint8Array
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    return (i) => csvCell(buf.toString('utf8', offsets[i]!, offsets[i + 1]!))
  }
  const values = dataValues(data, 'json')
  return (i) => csvCell(values[i])
}

/** Whether row `i` of `data` holds a value. */
function validity(data: arrow.Data): ((i: number) => boolean) | null {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.byteLength === 0) return null
  const bits = data.nullBitmap
  const at = data.offset
  return (i) => (bits[(at + i) >> 3]! & (1 << ((at + i) & 7))) !== 0
}

/** The table as CSV text with a header row, each line ended by `\n`. */
export function tableToCsv(table: arrow.Table): string {
  const lines = new Array<string>(table.numRows + 1)
  lines[0] = table.schema.fields.map((f) => csvCell(f.name)).join(',')
  let row = 1
  for (const batch of table.batches) {
    const columns = batch.data.children
    const cells = columns.map(cellsOf)
    const valid = columns.map(validity)
    const parts = new Array<string>(columns.length)
    for (let i = 0; i < batch.numRows; i++) {
      for (let k = 0; k < parts.length; k++) {
        const ok = valid[k]
        parts[k] = ok === null || ok!(i) ? cells[k]!(i) : ''
      }
      lines[row++] = parts.join(',')
    }
  }
  return `${lines.join('\n')}\n`
}
