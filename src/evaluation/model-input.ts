/**
 * A suite's samples as a model's input table: columns matched to the model's input fields by
 * name, or, when the suite names feature columns, those packed in order into the model's single
 * fixed-size list input (as `train` builds it). Columnar: one Float64Array per feature, one
 * interleaved buffer for the list.
 */
import * as arrow from 'apache-arrow'
import { makeAnyData } from '../data/arrow-data.js'
import { type ModelSchema, isListType, toArrowType } from '../data/schema.js'
import { InvalidInput } from '../errors.js'
import { readColumn } from '../pipelines/validations/columns.js'

/** `features` null → by name. `what` names the model in errors. */
export function modelInput(samples: arrow.Table, features: readonly string[] | null, input: ModelSchema, what: string): arrow.Table {
  if (features === null) {
    const have = samples.schema.fields.map((f) => f.name)
    const missing = input.filter((f) => !have.includes(f.name)).map((f) => f.name)
    if (missing.length > 0) {
      throw new InvalidInput(`the suite has no column ${missing.join(', ')} that ${what} takes as input; its columns are ${have.join(', ')} (or create it with --features COL,... to pack columns into one list input)`, {
        field: missing[0], expected: input.map((f) => f.name).join(', '), got: have.join(', '),
      })
    }
    return new arrow.Table(Object.fromEntries(input.map((f) => [f.name, samples.getChild(f.name)!])))
  }
  const field = input.length === 1 ? input[0]! : undefined
  if (!field || !isListType(field.type) || (field.type.size !== null && field.type.size !== features.length)) {
    const got = input.map((f) => `${f.name}: ${JSON.stringify(f.type)}`).join(', ')
    throw new InvalidInput(`the suite packs ${features.length} features into one list input, but ${what} takes ${got}`, {
      expected: `one field {"list": number, "size": ${features.length}}`, got,
    })
  }
  const rows = samples.numRows
  const k = features.length
  const packed = new Float64Array(rows * k)
  features.forEach((name, c) => {
    const col = readColumn(samples, name, [], name)
    if (col.type !== 'number') throw new InvalidInput(`feature column '${name}' holds ${col.type}s; expected numbers`, { field: name })
    if (col.valid !== null && col.valid.includes(0)) {
      const row = col.valid.indexOf(0)
      throw new InvalidInput(`feature column '${name}' is null at row ${row}`, { field: name, row })
    }
    for (let i = 0; i < rows; i++) packed[i * k + c] = col.values[i]!
  })
  const itemType = field.type.list
  const values = itemType === 'float32' ? Float32Array.from(packed) : packed
  const listType = toArrowType({ list: itemType === 'float32' ? 'float32' : 'float64', size: k }) as arrow.FixedSizeList
  const child = makeAnyData({ type: listType.children[0]!.type, length: rows * k, nullCount: 0, data: values })
  const data = makeAnyData({ type: listType, length: rows, nullCount: 0, child })
  return new arrow.Table({ [field.name]: arrow.makeVector(data) })
}
