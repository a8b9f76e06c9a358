/** Shared pieces of the native conversion tests: interpreter gate, fixture cases, tables, comparison. */
import { readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as arrow from 'apache-arrow'
import { toArrowType } from '../../src/data/schema.js'
import type { ModelSchema } from '../../src/data/schema.js'
import type { Framework } from '../../src/records/frameworks.js'

export const MODELS_DIR = fileURLToPath(new URL('../fixtures/models/', import.meta.url))
export const CONVERT_FIXTURES = fileURLToPath(new URL('../fixtures/convert/', import.meta.url))
export const CONVERTED_FIXTURES = ['sklearn-logreg-iris', 'sklearn-random-forest-wine', 'xgboost-binary-breast-cancer-pkl', 'xgboost-regressor-diabetes-json']

export { contextFor, pythonOr, versionOf } from './python-helpers.js'

/** A model with its schemas, inputs and the library's outputs (the shared fixtures' case.json layout). */
export interface ModelCase {
  name: string
  framework: Framework
  artifact: string
  input_schema: ModelSchema
  output_schema: ModelSchema
  tolerance: { abs: number; rel: number }
  input: Record<string, unknown[]>
  expected: Record<string, unknown[]>
}

/** Reads `dir/case.json`, `input.json` and `expected.json`. */
export function readCase(dir: string): ModelCase {
  const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'))
  const cols = (f: string) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { columns: Record<string, unknown[]> }).columns
  return { name: basename(dir), ...c, artifact: join(dir, c.artifact), input: cols('input.json'), expected: cols('expected.json') }
}

/** JSON columns → an Arrow table with exactly the schema's types (null stands for NaN in float lists). */
export function tableOf(columns: Record<string, unknown[]>, schema: ModelSchema): arrow.Table {
  const vectors: Record<string, arrow.Vector> = {}
  const nan = (v: unknown): unknown => (Array.isArray(v) ? v.map(nan) : v === null ? NaN : v)
  for (const f of schema) vectors[f.name] = arrow.vectorFromArray(columns[f.name]!.map(nan), toArrowType(f.type))
  return new arrow.Table(vectors)
}

export { columnValues, mismatch } from '../helpers/arrow-values.js'
