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

/** Characters that spell, in a number cell, what DuckDB's casts read and the JS rules refuse: hex, binary and octal prefixes, `_` separators. */
const CAST_ONLY = ['_', 'x', 'X', 'b', 'B', 'o', 'O']

/** Whether `text` holds none of `chars` from `from` on (each found by indexOf, far faster than a regular expression over the body). */
const holdsNone = (text: string, chars: readonly string[], from: number) => chars.every((ch) => text.indexOf(ch, from) < 0)

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
  if (firstLine.includes('"')) return null
  let header: string[]
  try {
    header = parseCsv(firstLine).header
  } catch {
    return null
  }
  if (header.length !== schema.length || new Set(header).size !== header.length) return null
  // DuckDB skips a blank line as the JS parser does, except with one column, where it reads a null.
  if (header.length === 1 && (text.includes('\n\n') || text.includes('\n\r\n'))) return null
  const fields = header.map((h) => schema.find((f) => f.name === h))
  if (fields.some((f) => f === undefined)) return null
  // Only floats and no `_`: DuckDB parses them as DOUBLE while reading. Anything else it would not
  // parse fails the read (the JS parser then names the cell); inf and nan spellings are not finite.
  const floatsOnly = fields.every((f) => f!.type === 'float64' || f!.type === 'float32') && holdsNone(text, ['_'], firstLine.length)
  const plain = !floatsOnly && fields.every((f) => f!.type !== 'string') && holdsNone(text, CAST_ONLY, firstLine.length)
  const exprs = fields.map((f, k): [string, (v: string) => string] | null => {
    const nullOk = nullsAllowed && f!.nullable
    if (!floatsOnly) return typed(`c${k}`, f!.type, nullOk, plain)
    return [f!.type === 'float32' ? `c${k}::FLOAT` : `c${k}`, (v) => (nullOk ? `(c${k} IS NULL OR isfinite(${v}))` : `isfinite(${v})`)]
  })
  if (exprs.some((e) => e === null)) return null
  return withBytesAsFile(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, '.csv', async (path) => {
    const columns = `{${header.map((_, k) => `'c${k}': '${floatsOnly ? 'DOUBLE' : 'VARCHAR'}'`).join(', ')}}`
    const rel = `read_csv(${sqlString(path)}, header = true, auto_detect = false, columns = ${columns}, delim = ',', quote = '"', escape = '"',
      allow_quoted_nulls = false, strict_mode = true, null_padding = false)`
    const inner = `SELECT ${header.map((_, k) => `c${k}, ${exprs[k]![0]} AS v${k}`).join(', ')} FROM ${rel}`
    const ok = exprs.map((e, k) => e![1](`v${k}`)).join(' AND ')
    // A row the rules might refuse fails the whole query (checked on DuckDB's threads, no column of verdicts to carry back).
    const outer = `SELECT ${schema.map((f) => `v${header.indexOf(f.name)} AS ${id(f.name)}`).join(', ')} FROM (${inner})
      WHERE CASE WHEN ${ok} THEN TRUE ELSE error('a cell the CSV rules may refuse') END`
    let table: arrow.Table
    try {
      table = await queryTable(outer, { limits, what: 'CSV input' })
    } catch (err) {
      if (isQuiverError(err) && err.code === 'too_large') throw err
      return null
    }
    if (table.numRows === 0) return null
    return conformTable(table, schema, nullsAllowed)
  })
}
