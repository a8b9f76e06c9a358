import type { Table } from 'apache-arrow'
import { tableToRecordsJson } from '../data/table-output.js'
import { formatTable } from './output.js'

/** A result table for people: aligned columns, floats to 6 significant digits. */
export function resultAsText(table: Table, maxRows = 50): string {
  const names = table.schema.fields.map((f) => f.name)
  const records = tableToRecordsJson(table.numRows > maxRows ? table.slice(0, maxRows) : table)
  const rows = records.map((r) => names.map((n) => cell(r[n])))
  const more = table.numRows > maxRows ? `… ${table.numRows - maxRows} more rows\n` : ''
  return formatTable(names, rows) + more
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)))
  if (Array.isArray(v)) return `[${v.map(cell).join(', ')}]`
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}
