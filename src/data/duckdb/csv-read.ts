/**
 * Large CSV bodies through DuckDB's parallel CSV reader, typed columnar in SQL by today's rules
 * (header names fields; empty unquoted = null, quoted empty = empty string; numbers and bools
 * trimmed; float32 parsed as a double then narrowed, as the JS path does). A number cell is
 * accepted here only when DuckDB casts it to a finite value and it has none of the prefixes and
 * separators DuckDB reads but the JS rules refuse (hex, binary, octal, `_`; no point or exponent
 * in an integer, which DuckDB would round). DuckDB only reads what
 * the rules certainly accept: a schema with other types, a header not matching the schema, blank
 * lines, or any cell the rules might refuse returns null, and the caller's RFC 4180 parser reads
 * the body instead — so every refusal keeps its message naming the row and the field. Small
 * bodies never come here: DuckDB's fixed cost (~ms per query) is more than parsing them in JS.
 */
import type * as arrow from 'apache-arrow'
import { conformTable } from '../arrow-conform.js'
import { parseCsv } from '../csv.js'
import type { InputLimits } from '../input-limits.js'
import { isQuiverError } from '../../errors.js'
import type { FieldType, ModelSchema } from '../schema.js'
import { sqlIdent as id, sqlString } from './database.js'
import { queryTable } from './arrow-query.js'
import { withBytesAsFile } from './memory-file.js'

/** Bodies at least this long go to DuckDB (measured crossover: see bench `csv-read-*`). */
export const DUCKDB_CSV_MIN_CHARS = 256 * 1024

const INTS: Partial<Record<FieldType & string, string>> = {
  int8: 'TINYINT', int16: 'SMALLINT', int32: 'INTEGER', int64: 'BIGINT',
  uint8: 'UTINYINT', uint16: 'USMALLINT', uint32: 'UINTEGER', uint64: 'UBIGINT',
}

/** Characters a body of numbers and bools may hold for DuckDB to read it (no hex, binary, octal, `_`, inf or nan spellings). */
const PLAIN_BODY = /^[0-9+\-.eE,\r\n \ttrueTRUEfalsFALS]*$/

/**
 * For one field: SQL of its typed value (reading the raw text `c`), and SQL over that value `v`
 * and `c` that is true when the cell is certainly accepted; null for a type left to JS.
 */
function typed(c: string, t: FieldType, nullOk: boolean, plain: boolean): [string, (v: string) => string] | null {
  if (typeof t !== 'string') return null
  const empty = (_v: string, ok: string) => (nullOk ? `(${c} IS NULL OR ${ok})` : `(${c} IS NOT NULL AND ${ok})`)
  // Prefixes and separators DuckDB's casts read and the JS rules do not, checked per cell when the body scan could not.
  const guard = plain ? '' : ` AND NOT (contains(${c}, 'x') OR contains(${c}, 'X') OR contains(${c}, '_') OR contains(${c}, 'b') OR contains(${c}, 'B') OR contains(${c}, 'o') OR contains(${c}, 'O'))`
  const int = INTS[t]
  if (int) return [`TRY_CAST(${c} AS ${int})`, (v) => empty(v, `${v} IS NOT NULL AND NOT (contains(${c}, '.') OR contains(${c}, 'e') OR contains(${c}, 'E'))${guard}`)]
  if (t === 'float64' || t === 'float32') return [`TRY_CAST(${c} AS DOUBLE)${t === 'float32' ? '::FLOAT' : ''}`, (v) => empty(v, `isfinite(${v})${guard}`)]
  if (t === 'bool') return [`CASE lower(trim(${c})) WHEN 'true' THEN TRUE WHEN '1' THEN TRUE WHEN 'false' THEN FALSE WHEN '0' THEN FALSE END`, (v) => empty(v, `${v} IS NOT NULL`)]
  if (t === 'string') return [c, () => (nullOk ? 'TRUE' : `(${c} IS NOT NULL)`)]
  return null
}

/** The validated table, or null when the JS parser must read the body (see above). */
export async function readCsvWithDuckDb(text: string, schema: ModelSchema, nullsAllowed: boolean, limits: InputLimits): Promise<arrow.Table | null> {
  const firstLine = text.slice(0, text.indexOf('\n') + 1 || text.length)
  if (firstLine.includes('"') || /\n\r?\n|\r\n\r\n/.test(text)) return null
  let header: string[]
  try {
    header = parseCsv(firstLine).header
  } catch {
    return null
  }
  if (header.length !== schema.length || new Set(header).size !== header.length) return null
  const fields = header.map((h) => schema.find((f) => f.name === h))
  if (fields.some((f) => f === undefined)) return null
  const plain = fields.every((f) => f!.type !== 'string') && PLAIN_BODY.test(text.slice(firstLine.length))
  // Only floats in a plain body: DuckDB parses them as DOUBLE while reading (no letters can spell inf or nan).
  const floatsOnly = plain && fields.every((f) => f!.type === 'float64' || f!.type === 'float32')
  const exprs = fields.map((f, k): [string, (v: string) => string] | null => {
    const nullOk = nullsAllowed && f!.nullable
    if (!floatsOnly) return typed(`c${k}`, f!.type, nullOk, plain)
    return [f!.type === 'float32' ? `c${k}::FLOAT` : `c${k}`, () => (nullOk ? 'TRUE' : `(c${k} IS NOT NULL)`)]
  })
  if (exprs.some((e) => e === null)) return null
  return withBytesAsFile(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, '.csv', async (path) => {
    const columns = `{${header.map((_, k) => `'c${k}': '${floatsOnly ? 'DOUBLE' : 'VARCHAR'}'`).join(', ')}}`
    const rel = `read_csv(${sqlString(path)}, header = true, auto_detect = false, columns = ${columns}, delim = ',', quote = '"', escape = '"',
      allow_quoted_nulls = false, strict_mode = true, null_padding = false)`
    const inner = `SELECT ${header.map((_, k) => `c${k}, ${exprs[k]![0]} AS v${k}`).join(', ')} FROM ${rel}`
    const ok = exprs.map((e, k) => e![1](`v${k}`)).join(' AND ')
    const outer = `SELECT ${schema.map((f) => `v${header.indexOf(f.name)} AS ${id(f.name)}`).join(', ')}, (${ok}) AS __quiver_ok FROM (${inner})`
    let table: arrow.Table
    try {
      table = await queryTable(outer, { limits, what: 'CSV input' })
    } catch (err) {
      if (isQuiverError(err) && err.code === 'too_large') throw err
      return null
    }
    const okColumn = table.getChild('__quiver_ok')!
    if (table.numRows === 0 || okColumn.nullCount > 0 || !okColumn.data.every(allSet)) return null
    return conformTable(table.select(schema.map((f) => f.name)), schema, nullsAllowed)
  })
}

/** Whether every value of a Bool column chunk is true. */
function allSet(d: arrow.Data): boolean {
  const bits = d.values as Uint8Array
  for (let i = 0; i < d.length; i++) {
    const k = d.offset + i
    if (((bits[k >> 3]! >> (k & 7)) & 1) === 0) return false
  }
  return true
}
