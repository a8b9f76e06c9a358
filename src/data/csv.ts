/**
 * CSV (RFC 4180) in and out. A header row names the fields. An empty unquoted cell is null; a
 * quoted empty cell `""` is the empty string. Quoted cells may hold commas, quotes (`""`) and
 * newlines. List and struct cells are JSON text, which is how the writer emits them.
 */
import { InvalidInput } from '../errors.js'
import { parseExactJson } from './exact-json.js'
import { inputLimits } from './input-limits.js'
import { jsonDepth } from './json-depth.js'
import type { FieldType, ModelSchema } from './schema.js'
import { checkFieldNames, noRows } from './json-input.js'
import { isNumericType } from './scalar-codecs.js'

/** A parsed cell: its text, or null for an empty unquoted cell. */
export type CsvCell = string | null

export interface ParsedCsv {
  header: string[]
  rows: CsvCell[][]
}

const QUOTE = 34
const COMMA = 44
const CR = 13
const LF = 10

/** Parses CSV text; blank lines are skipped and a byte-order mark is ignored. */
export function parseCsv(text: string): ParsedCsv {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const records: CsvCell[][] = []
  let record: CsvCell[] = []
  let i = 0
  const n = s.length
  const fail = (why: string): never => {
    const row = records.length - 1
    throw new InvalidInput(`CSV input ${row < 0 ? 'header' : `row ${row}`}: ${why}`, row < 0 ? {} : { row })
  }
  while (i < n) {
    let cell: CsvCell
    if (s.charCodeAt(i) === QUOTE) {
      let out = ''
      let from = ++i
      for (;;) {
        const q = s.indexOf('"', from)
        if (q < 0) fail('a quoted cell is not closed')
        if (s.charCodeAt(q + 1) === QUOTE) { out += s.slice(from, q + 1); from = q + 2; continue }
        out += s.slice(from, q)
        i = q + 1
        break
      }
      const c = s.charCodeAt(i)
      if (i < n && c !== COMMA && c !== CR && c !== LF) fail(`unexpected text after a closing quote: ${JSON.stringify(s.slice(i, i + 10))}`)
      cell = out
    } else {
      let j = i
      while (j < n) {
        const c = s.charCodeAt(j)
        if (c === COMMA || c === CR || c === LF) break
        j++
      }
      cell = j === i ? null : s.slice(i, j)
      i = j
    }
    record.push(cell)
    const c = s.charCodeAt(i)
    if (c === COMMA) {
      i++
      if (i === n) record.push(null)
      else continue
    }
    if (c === CR && s.charCodeAt(i + 1) === LF) i += 2
    else if (c === CR || c === LF) i++
    if (!(record.length === 1 && record[0] === null)) records.push(record)
    record = []
    // blank lines between records
    while (i < n && (s.charCodeAt(i) === LF || s.charCodeAt(i) === CR)) i++
  }
  if (records.length === 0) throw new InvalidInput('CSV input is empty; expected a header row naming the fields', { got: 'no header' })
  const header = records.shift()!.map((h) => h ?? '')
  return { header, rows: records }
}

/** CSV text → one value array per schema field; cells are typed by the schema, the builder checks them. */
export function csvToColumns(text: string, schema: ModelSchema): { columns: unknown[][]; rows: number } {
  const { header, rows } = parseCsv(text)
  const dup = header.find((h, k) => header.indexOf(h) !== k)
  if (dup !== undefined) throw new InvalidInput(`CSV header names field '${dup}' twice`, { field: dup, got: 'a duplicate column' })
  checkFieldNames(header, schema)
  if (rows.length === 0) throw noRows()
  rows.forEach((r, k) => {
    if (r.length !== header.length) {
      throw new InvalidInput(`CSV input row ${k}: expected ${header.length} cells like the header, got ${r.length}`, {
        row: k, expected: `${header.length} cells`, got: `${r.length} cells`,
      })
    }
  })
  const columns = schema.map((f) => {
    const c = header.indexOf(f.name)
    if (c < 0) return new Array<unknown>(rows.length).fill(null) // an optional field left out
    const parse = cellParser(f.type)
    return rows.map((r) => parse(r[c]!))
  })
  return { columns, rows: rows.length }
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const DIGITS = /^[+-]?\d+$/

function cellParser(t: FieldType): (cell: CsvCell) => unknown {
  if (isNumericType(t)) {
    const bigint = t === 'int64' || t === 'uint64'
    return (cell) => {
      if (cell === null) return null
      const s = cell.trim()
      if (bigint && DIGITS.test(s)) return s
      return NUMBER.test(s) ? Number(s) : cell
    }
  }
  if (t === 'bool') {
    return (cell) => {
      if (cell === null) return null
      const s = cell.trim().toLowerCase()
      return s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : cell
    }
  }
  if (typeof t === 'string') return (cell) => cell
  const maxDepth = inputLimits().maxJsonDepth
  return (cell) => {
    if (cell === null) return null
    // Too deep to walk: left as text, so the column builder refuses it naming the field and row.
    if (jsonDepth(cell) > maxDepth) return cell
    try {
      return parseExactJson(cell)
    } catch {
      return cell
    }
  }
}

function quoteCell(s: string): string {
  if (s === '' || /[",\r\n]/.test(s) || s.trim() !== s) return `"${s.replaceAll('"', '""')}"`
  return s
}

/** One CSV cell for a JSON-safe value (see `tableToColumnsJson`); null is an empty cell. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'string') return quoteCell(v)
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return quoteCell(JSON.stringify(v))
}

/** Writes columns of JSON-safe values as CSV text with a header row. */
export function writeCsv(names: string[], columns: unknown[][], rows: number): string {
  const lines = new Array<string>(rows + 1)
  lines[0] = names.map(quoteCell).join(',')
  for (let i = 0; i < rows; i++) lines[i + 1] = columns.map((c) => csvCell(c[i])).join(',')
  return `${lines.join('\n')}\n`
}
