/**
 * A training set file → the feature matrix (row-major Float64Array) and the labels, columnar.
 * Features are the given columns, else the `SET.F` columns a point-in-time training set adds,
 * else every numeric column but the label.
 */
import { InvalidInput } from '../errors.js'
import { readSampleFile } from '../evaluation/sample-table.js'
import type { Labels } from '../evaluation/labels.js'
import { toLabels } from '../evaluation/model-outputs.js'
import { readColumn } from '../pipelines/validations/columns.js'

export interface TrainingData {
  features: string[]
  label: string | null
  rows: number
  /** rows × features.length, row-major. */
  X: Float64Array
  y: Labels | null
}

const NUMERIC = /^(u?int|float)\d+$/

export async function readTrainingData(path: string, label: string | null, wanted?: readonly string[]): Promise<TrainingData> {
  const { table, schema } = await readSampleFile(path)
  const names = schema.map((f) => f.name)
  if (label !== null && !names.includes(label)) {
    throw new InvalidInput(`label column '${label}' is not in the training set ${path}; its columns are ${names.join(', ')}`, {
      field: 'label', expected: names.join(', '), got: label,
    })
  }
  const numeric = schema.filter((f) => typeof f.type === 'string' && NUMERIC.test(f.type) && f.name !== label).map((f) => f.name)
  const dotted = numeric.filter((n) => n.includes('.'))
  const features = wanted && wanted.length > 0 ? [...wanted] : dotted.length > 0 ? dotted : numeric
  if (features.length === 0) throw new InvalidInput(`the training set ${path} has no numeric feature column besides the label`, { field: 'features' })
  const rows = table.numRows
  const k = features.length
  const X = new Float64Array(rows * k)
  features.forEach((name, c) => {
    if (!names.includes(name)) throw new InvalidInput(`feature column '${name}' is not in the training set; its columns are ${names.join(', ')}`, { field: 'features', got: name })
    const col = readColumn(table, name, [], name)
    if (col.type !== 'number') throw new InvalidInput(`feature column '${name}' holds ${col.type}s; features must be numbers`, { field: name, expected: 'numbers', got: col.type })
    const values = col.values
    const valid = col.valid
    for (let i = 0; i < rows; i++) X[i * k + c] = valid !== null && valid[i] === 0 ? NaN : values[i]!
  })
  const y = label === null ? null : toLabels(readColumn(table, label, [], label), `label column '${label}'`)
  return { features, label, rows, X, y }
}
