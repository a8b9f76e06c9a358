/**
 * The offline engine over the process's one DuckDB (`data/duckdb`): describing feature sources
 * and mapping DuckDB's type names onto SPEC §3 types.
 */
import { InvalidInput, errorMessage } from '../../errors.js'
import type { FieldType, SchemaField } from '../../data/schema.js'
import { withConnection } from '../../data/duckdb/database.js'

export { sqlIdent, sqlString, withConnection } from '../../data/duckdb/database.js'

const SCALARS: Record<string, FieldType> = {
  BOOLEAN: 'bool', TINYINT: 'int8', SMALLINT: 'int16', INTEGER: 'int32', BIGINT: 'int64',
  UTINYINT: 'uint8', USMALLINT: 'uint16', UINTEGER: 'uint32', UBIGINT: 'uint64',
  FLOAT: 'float32', DOUBLE: 'float64', VARCHAR: 'string', BLOB: 'binary',
  TIMESTAMP: 'timestamp[ms]', TIMESTAMP_MS: 'timestamp[ms]', TIMESTAMP_S: 'timestamp[ms]', TIMESTAMP_NS: 'timestamp[ms]',
  'TIMESTAMP WITH TIME ZONE': 'timestamp[ms]', DATE: 'timestamp[ms]',
}

/** A DuckDB type name (`BIGINT`, `FLOAT[4]`, `DOUBLE[]`, `STRUCT(a DOUBLE, "b" VARCHAR)`) as a SPEC §3 type; null when it has none. */
export function fieldTypeOfDuck(name: string): FieldType | null {
  const list = /^(.*)\[(\d*)\]$/.exec(name)
  if (list) {
    const inner = fieldTypeOfDuck(list[1]!)
    return inner === null ? null : { list: inner, size: list[2] ? Number(list[2]) : null }
  }
  if (name.startsWith('STRUCT(') && name.endsWith(')')) {
    const struct: SchemaField[] = []
    for (const part of topLevelParts(name.slice(7, -1))) {
      const m = /^\s*("(?:[^"]|"")*"|[^\s"]+)\s+(.+?)\s*$/.exec(part)
      const type = m && fieldTypeOfDuck(m[2]!)
      if (!m || type === null) return null
      const field = m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replaceAll('""', '"') : m[1]!
      struct.push({ name: field, type, nullable: true })
    }
    return { struct }
  }
  return SCALARS[name] ?? (name.startsWith('DECIMAL') ? 'float64' : null)
}

/** `a T, b STRUCT(c U, d V)` split at the commas outside parentheses and quotes. */
function topLevelParts(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '"') quoted = !quoted
    else if (quoted) continue
    else if (ch === '(') depth++
    else if (ch === ')') depth--
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

/** The columns a query yields, with their types. */
export function describeQuery(sql: string, what: string): Promise<SchemaField[]> {
  return withConnection(async (c) => {
    let reader
    try {
      reader = await c.runAndReadAll(`DESCRIBE ${sql}`)
    } catch (err) {
      throw new InvalidInput(`cannot read ${what}: ${errorMessage(err).split('\n')[0]}`, { field: 'source' }, { cause: err })
    }
    const rows = reader.getRowObjectsJS() as { column_name: string; column_type: string }[]
    return rows.map((r) => ({ name: r.column_name, type: fieldTypeOfDuck(r.column_type) ?? 'string', nullable: true }))
  })
}
