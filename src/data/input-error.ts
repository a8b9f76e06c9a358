/**
 * The one shape of a bad-input error in `data/`: "field 'x' row 3: expected float32, got string "a"",
 * with the same facts in `details` so doors and tests can read them without parsing the message.
 */
import { InvalidInput } from '../errors.js'

/** Maps an index inside a (possibly nested) column to the input row it belongs to. */
export type RowOf = (index: number) => number
export const IDENTITY_ROWS: RowOf = (i) => i

/**
 * Thrown by context-free value converters; the column builder catches it and rethrows it as
 * `InvalidInput` with the field and row it knows.
 */
export class ValueError extends Error {
  readonly got: string
  readonly hint: string | undefined
  constructor(got: string, hint?: string) {
    super(got)
    this.got = got
    this.hint = hint
  }
}

export function badValue(field: string, row: number, expected: string, got: string, hint?: string): InvalidInput {
  const tail = hint === undefined ? '' : ` (${hint})`
  return new InvalidInput(`field '${field}' row ${row}: expected ${expected}, got ${got}${tail}`, {
    field, row, expected, got,
  })
}

/** Rewraps a converter's ValueError with its place; anything else passes through unchanged. */
export function placeError(err: unknown, field: string, row: number, expected: string): unknown {
  return err instanceof ValueError ? badValue(field, row, expected, err.got, err.hint) : err
}

const MAX_SHOWN = 40

/** A short, quoted description of a JSON-ish value for error messages. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'string') {
    const s = v.length > MAX_SHOWN ? `${v.slice(0, MAX_SHOWN)}…` : v
    return `string ${JSON.stringify(s)}`
  }
  if (typeof v === 'number') return `number ${v}`
  if (typeof v === 'bigint') return `integer ${v}`
  if (typeof v === 'boolean') return `boolean ${v}`
  if (v instanceof Date) return `date ${Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString()}`
  if (v instanceof Uint8Array) return `${v.length} bytes`
  if (Array.isArray(v)) return `a list of ${v.length} value${v.length === 1 ? '' : 's'}`
  if (typeof v === 'object') return 'an object'
  return typeof v
}
