/**
 * What a model answered, read columnar from its result table: the predicted label or value (the
 * `predictions` field, else the only scalar output, else the argmax of the only list output) and
 * the class probabilities (a list field named `probabilities`, `probability` or `probs`).
 */
import type * as arrow from 'apache-arrow'
import { type ModelSchema, isListType } from '../data/schema.js'
import { InvalidInput } from '../errors.js'
import { type Column, readColumn } from '../pipelines/validations/columns.js'
import type { Labels } from './labels.js'

export interface ModelAnswers {
  /** The output field read as the prediction. */
  field: string
  predicted: Labels
  /** Whether the prediction is a float (a regression) rather than a class. */
  continuous: boolean
  probabilities: { field: string; values: Float64Array; k: number } | null
}

const PREDICTION_NAMES = ['predictions', 'prediction', 'label', 'labels', 'output', 'y']
const PROBABILITY_NAMES = ['probabilities', 'probability', 'probs', 'scores']
const FLOAT = /^float/

export function readAnswers(result: arrow.Table, output: ModelSchema, what: string): ModelAnswers {
  const scalars = output.filter((f) => typeof f.type === 'string')
  const lists = output.filter((f) => isListType(f.type))
  const probField = output.find((f) => PROBABILITY_NAMES.includes(f.name) && isListType(f.type) && f.type.size !== null)
  const rows = result.numRows
  let probabilities: ModelAnswers['probabilities'] = null
  if (probField && isListType(probField.type)) {
    const k = probField.type.size!
    const values = new Float64Array(rows * k)
    for (let c = 0; c < k; c++) {
      const col = numbers(readColumn(result, `out.${probField.name}`, [c], `out.${probField.name}[${c}]`), `out.${probField.name}`)
      for (let i = 0; i < rows; i++) values[i * k + c] = col[i]!
    }
    probabilities = { field: probField.name, values, k }
  }
  const named = scalars.find((f) => PREDICTION_NAMES.includes(f.name)) ?? (scalars.length === 1 ? scalars[0] : undefined)
  if (named) {
    const col = readColumn(result, `out.${named.name}`, [], `out.${named.name}`)
    return { field: named.name, predicted: toLabels(col, `out.${named.name}`), continuous: FLOAT.test(named.type as string), probabilities }
  }
  const list = probField ?? (lists.length === 1 ? lists[0] : undefined)
  if (list && isListType(list.type) && list.type.size !== null) {
    const k = list.type.size
    const scores = probabilities?.field === list.name ? probabilities.values : readAll(result, list.name, k)
    const argmax = new Float64Array(rows)
    for (let i = 0; i < rows; i++) {
      let best = 0
      for (let c = 1; c < k; c++) if (scores[i * k + c]! > scores[i * k + best]!) best = c
      argmax[i] = best
    }
    return { field: list.name, predicted: { kind: 'number', values: argmax }, continuous: false, probabilities }
  }
  const fields = output.map((f) => f.name).join(', ')
  throw new InvalidInput(`${what} has no output to evaluate: expected a field named predictions, one scalar output or one fixed-size list output; its outputs are ${fields}`, {
    expected: 'a predictions field', got: fields,
  })
}

function readAll(result: arrow.Table, name: string, k: number): Float64Array {
  const rows = result.numRows
  const out = new Float64Array(rows * k)
  for (let c = 0; c < k; c++) {
    const col = numbers(readColumn(result, `out.${name}`, [c], `out.${name}[${c}]`), `out.${name}`)
    for (let i = 0; i < rows; i++) out[i * k + c] = col[i]!
  }
  return out
}

function numbers(c: Column, label: string): Float64Array {
  if (c.type !== 'number') throw new InvalidInput(`${label} holds ${c.type}s; expected numbers`, { field: label })
  if (c.valid !== null && c.valid.includes(0)) throw new InvalidInput(`${label} has a null at row ${c.valid.indexOf(0)}`, { field: label, row: c.valid.indexOf(0) })
  return c.values
}

/** A column of the suite or the result as labels; nulls are refused naming the row. */
export function toLabels(c: Column, label: string): Labels {
  if (c.valid !== null) {
    const row = c.valid.indexOf(0)
    if (row >= 0) throw new InvalidInput(`${label} is null at row ${row}; every sample needs a value`, { field: label, row })
  }
  if (c.type === 'number') return { kind: 'number', values: c.values }
  if (c.type === 'bool') return { kind: 'number', values: Float64Array.from(c.values) }
  const decoder = new TextDecoder()
  const values: string[] = new Array(c.starts.length)
  for (let i = 0; i < values.length; i++) values[i] = decoder.decode(c.bytes.subarray(c.starts[i]!, c.ends[i]!))
  return { kind: 'string', values }
}
