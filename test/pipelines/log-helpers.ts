import * as arrow from 'apache-arrow'
import { buildResultTable } from '../../src/data/result-table.js'
import type { ModelSchema } from '../../src/data/schema.js'
import { Validation, evaluateValidations } from '../../src/pipelines/validations/validation.js'

export const LOG_SCHEMAS: { in: ModelSchema; out: ModelSchema } = {
  in: [{ name: 'x', type: 'float64', nullable: false }, { name: 'tag', type: 'string', nullable: true }],
  out: [{ name: 'score', type: 'float32', nullable: false }, { name: 'probs', type: { list: 'float32', size: 2 }, nullable: false }],
}

const HIGH = Validation.compile({ name: 'high', expression: 'out.score > 0.5' }, LOG_SCHEMAS)

/** A SPEC §4 result of `rows` rows at `time`, with row values derived from `seed` so they can be checked. */
export function sampleResult(rows: number, time: Date, seed: number, validations: Validation[] = [HIGH]): arrow.Table {
  const x = Float64Array.from({ length: rows }, (_, i) => seed * 1000 + i)
  const tags = Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? null : `t${(seed + i) % 5}`))
  const score = Float32Array.from({ length: rows }, (_, i) => ((seed + i) % 10) / 10)
  const probs = Array.from({ length: rows }, (_, i) => [score[i]!, 1 - score[i]!])
  const input = new arrow.Table({ x: arrow.makeVector(x), tag: arrow.vectorFromArray(tags, new arrow.Utf8()) })
  const output = new arrow.Table({
    score: arrow.makeVector(score),
    probs: arrow.vectorFromArray(probs, new arrow.FixedSizeList(2, new arrow.Field('item', new arrow.Float32(), true))),
  })
  return buildResultTable({ time, input, output, anomalies: evaluateValidations(validations, { in: input, out: output }) })
}
