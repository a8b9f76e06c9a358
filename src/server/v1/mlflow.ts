/**
 * MLflow's scoring protocol (`POST /invocations`) → an inference input. JSON bodies carry exactly
 * one of `dataframe_split` (`{columns, data}`), `dataframe_records` (`[{…}]`), `instances` (a list
 * of rows, or of values when the input has one field) or `inputs` (the same, or `{field: [...]}`);
 * CSV is read as the table it is.
 */
import type { InferInput } from '../../api/quiver-api.js'
import type { ModelSchema } from '../../data/schema.js'
import { InvalidInput } from '../../errors.js'
import { mediaType, parseJson } from '../body.js'

const SHAPES = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const

export function mlflowInput(contentType: string | undefined, body: Uint8Array, schema: ModelSchema): InferInput {
  const type = mediaType(contentType) || 'application/json'
  if (type === 'text/csv') return { kind: 'csv', text: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') }
  if (type !== 'application/json') {
    throw new InvalidInput(`Content-Type ${JSON.stringify(contentType)} is not an MLflow scoring input; send application/json or text/csv`, {
      field: 'content-type', expected: 'application/json, text/csv', got: contentType,
    })
  }
  const payload = parseJson(body, 'the MLflow scoring request')
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new InvalidInput(`an MLflow scoring request is a JSON object with one of ${SHAPES.join(', ')}`, { field: 'body', expected: SHAPES.join(', ') })
  }
  const keys = Object.keys(payload).filter((k) => k !== 'params')
  const shape = keys.find((k): k is (typeof SHAPES)[number] => (SHAPES as readonly string[]).includes(k))
  if (keys.length !== 1 || !shape) {
    throw new InvalidInput(`an MLflow scoring request has exactly one of ${SHAPES.join(', ')}; got ${keys.map((k) => `'${k}'`).join(', ') || 'none'}`, {
      field: 'body', expected: SHAPES.join(', '), got: keys.join(', '),
    })
  }
  const value = (payload as Record<string, unknown>)[shape]
  switch (shape) {
    case 'dataframe_split': return { kind: 'json', value: { columns: splitColumns(value) } }
    case 'dataframe_records': return { kind: 'json', value }
    case 'instances':
    case 'inputs': return { kind: 'json', value: tensorInput(shape, value, schema) }
  }
}

function splitColumns(value: unknown): Record<string, unknown[]> {
  const v = value as { columns?: unknown; data?: unknown }
  if (typeof v !== 'object' || v === null || !Array.isArray(v.columns) || !Array.isArray(v.data) || !v.columns.every((c) => typeof c === 'string')) {
    throw new InvalidInput('dataframe_split must be {"columns": ["name", …], "data": [[value, …], …]}', { field: 'dataframe_split' })
  }
  const names = v.columns as string[]
  const columns: Record<string, unknown[]> = Object.fromEntries(names.map((n) => [n, []]))
  v.data.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== names.length) {
      throw new InvalidInput(`dataframe_split row ${r} has ${Array.isArray(row) ? row.length : 'no'} values for ${names.length} columns`, {
        field: 'dataframe_split.data', row: r, expected: `${names.length} values`, got: Array.isArray(row) ? `${row.length} values` : typeof row,
      })
    }
    names.forEach((n, k) => columns[n]!.push(row[k]))
  })
  return columns
}

/** Rows as objects, columns as `{field: [...]}`, or bare values for an input with one field. */
function tensorInput(shape: string, value: unknown, schema: ModelSchema): unknown {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))) return value
    if (schema.length !== 1) {
      throw new InvalidInput(`${shape} as a list of values needs a single-input model; this one takes ${schema.map((f) => `'${f.name}'`).join(', ')}: send a list of objects or {"field": [...]}`, {
        field: shape, expected: schema.map((f) => f.name).join(', '),
      })
    }
    return { columns: { [schema[0]!.name]: value } }
  }
  if (typeof value === 'object' && value !== null) return { columns: value }
  throw new InvalidInput(`${shape} must be a list of rows or an object of columns`, { field: shape })
}

/** MLflow's answer: `{"predictions": [...]}`, one object of the last step's outputs per row. */
export function predictionsOf(records: Record<string, unknown>[]): { predictions: Record<string, unknown>[] } {
  return {
    predictions: records.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k.startsWith('out.')).map(([k, v]) => [k.slice(4), v]))),
  }
}
